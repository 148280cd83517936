//! Condition and update expressions. DynamoDB deletes expired items up to days late and
//! still shows them to conditions, while the port says an expired item is absent; so every
//! condition built here treats `expires_at <= now` as "no item".

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::store::{Condition, Update};
use domain::table::schema::TABLE;

use crate::codec::to_av;

/// The names and values one request's expressions refer to.
#[derive(Default)]
pub(crate) struct Expr {
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

impl Expr {
    pub fn name(&mut self, attribute: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, n)| n.as_str() == attribute) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        placeholder
    }

    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// Which kind of write a condition guards. An update changes the stored item in place, so it
/// must never meet an expired one (see `not_stale`); a put replaces it and a delete removes
/// it, so for them an expired item is simply "absent".
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    PutOrDelete,
    Update,
}

pub(crate) fn now(expr: &mut Expr, now: i64) -> String {
    expr.value(AttributeValue::N(now.to_string()))
}

pub(crate) fn condition(
    expr: &mut Expr,
    condition: &Condition,
    now_secs: i64,
    write: Write,
) -> Option<String> {
    // DynamoDB refuses names or values an expression does not use, so each part registers
    // only what it mentions.
    fn live(expr: &mut Expr, now_secs: i64) -> String {
        let (exp, now) = (expr.name(TABLE.ttl_attribute), now(expr, now_secs));
        format!("(attribute_not_exists({exp}) OR {exp} > {now})")
    }
    fn absent(expr: &mut Expr, now_secs: i64) -> String {
        let (pk, exp, now) =
            (expr.name(TABLE.partition_key), expr.name(TABLE.ttl_attribute), now(expr, now_secs));
        format!("(attribute_not_exists({pk}) OR {exp} <= {now})")
    }
    fn not_stale(expr: &mut Expr, now_secs: i64) -> String {
        let (pk, exp, now) =
            (expr.name(TABLE.partition_key), expr.name(TABLE.ttl_attribute), now(expr, now_secs));
        format!("(attribute_not_exists({pk}) OR attribute_not_exists({exp}) OR {exp} > {now})")
    }
    Some(match (condition, write) {
        (Condition::Always, Write::PutOrDelete) => return None,
        (Condition::Always, Write::Update) => not_stale(expr, now_secs),
        (Condition::NotExists, Write::PutOrDelete) => absent(expr, now_secs),
        (Condition::NotExists, Write::Update) => {
            format!("attribute_not_exists({})", expr.name(TABLE.partition_key))
        }
        (Condition::Exists, _) => {
            let pk = expr.name(TABLE.partition_key);
            format!("attribute_exists({pk}) AND {}", live(expr, now_secs))
        }
        (Condition::Equals(name, value), _) => {
            let (a, v) = (expr.name(name), expr.value(to_av(value)));
            format!("{a} = {v} AND {}", live(expr, now_secs))
        }
        (Condition::AtMost(name, bound), write) => {
            let a = expr.name(name);
            let b = expr.value(AttributeValue::N(bound.to_string()));
            let within = format!("(attribute_not_exists({a}) OR {a} <= {b})");
            match write {
                Write::PutOrDelete => format!("({} OR {within})", absent(expr, now_secs)),
                Write::Update => format!("{} AND {within}", not_stale(expr, now_secs)),
            }
        }
    })
}

/// `SET ... ADD ...` for an update, or `None` when it changes nothing but its condition.
pub(crate) fn update(expr: &mut Expr, update: &Update) -> Option<String> {
    let mut set = Vec::new();
    for (name, value) in &update.set {
        let (a, v) = (expr.name(name), expr.value(to_av(value)));
        set.push(format!("{a} = {v}"));
    }
    for (name, value) in &update.set_if_absent {
        let (a, v) = (expr.name(name), expr.value(to_av(value)));
        set.push(format!("{a} = if_not_exists({a}, {v})"));
    }
    if let Some(at) = update.expires_at {
        let (a, v) = (expr.name(TABLE.ttl_attribute), expr.value(AttributeValue::N(at.to_string())));
        set.push(format!("{a} = {v}"));
    }
    let add: Vec<String> = update
        .add
        .iter()
        .map(|(name, delta)| {
            let (a, v) = (expr.name(name), expr.value(AttributeValue::N(delta.to_string())));
            format!("{a} {v}")
        })
        .collect();
    let mut clauses = Vec::new();
    if !set.is_empty() {
        clauses.push(format!("SET {}", set.join(", ")));
    }
    if !add.is_empty() {
        clauses.push(format!("ADD {}", add.join(", ")));
    }
    (!clauses.is_empty()).then(|| clauses.join(" "))
}

#[cfg(test)]
mod tests {
    use domain::store::Key;

    use super::*;

    #[test]
    fn conditions_treat_expired_items_as_absent() {
        let mut expr = Expr::default();
        let text = condition(&mut expr, &Condition::NotExists, 100, Write::PutOrDelete).unwrap();
        assert_eq!(text, "(attribute_not_exists(#n0) OR #n1 <= :v0)");
        assert_eq!(expr.names["#n0"], "PK");
        assert_eq!(expr.names["#n1"], "expires_at");
        let mut expr = Expr::default();
        let text =
            condition(&mut expr, &Condition::Equals("version".into(), 3.into()), 100, Write::Update).unwrap();
        assert_eq!(text, "#n0 = :v0 AND (attribute_not_exists(#n1) OR #n1 > :v1)");
        assert_eq!(expr.names.len(), 2, "only what the expression mentions");
        assert!(condition(&mut Expr::default(), &Condition::Always, 1, Write::PutOrDelete).is_none());
    }

    #[test]
    fn updates_set_add_and_keep_first_values() {
        let mut expr = Expr::default();
        let u = Update::new(Key::new("P", "S")).add("n", 2).set("a", "x").set_if_absent("b", 1).expires_at(9);
        let text = update(&mut expr, &u).unwrap();
        assert_eq!(text, "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1), #n2 = :v2 ADD #n3 :v3");
        assert_eq!(expr.names["#n3"], "n");
        assert!(update(&mut Expr::default(), &Update::new(Key::new("P", "S"))).is_none());
    }
}
