//! The table's definition, stated once. `create-table`, the test harness and the check of
//! the Terraform module all read it, so the table in AWS, on a local server and in tests is
//! the same table.

/// How the table is billed when this program creates it (Terraform chooses in AWS).
pub const BILLING_MODE: &str = "PAY_PER_REQUEST";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexSchema {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    /// Which attributes the index holds: `ALL`, so an index query needs no second read.
    pub projection: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableSchema {
    /// Every key attribute (table and index) is a string (`S`).
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    pub indexes: &'static [IndexSchema],
    /// The TTL attribute: Unix seconds after which an item no longer exists.
    pub ttl_attribute: &'static str,
}

pub const GSI1: IndexSchema =
    IndexSchema { name: "GSI1", partition_key: "GSI1PK", sort_key: "GSI1SK", projection: "ALL" };

pub const TABLE: TableSchema =
    TableSchema { partition_key: "PK", sort_key: "SK", indexes: &[GSI1], ttl_attribute: "expires_at" };

impl TableSchema {
    /// Every key attribute of the table and its indexes, in a stable order.
    pub fn key_attributes(&self) -> Vec<&'static str> {
        let mut names = vec![self.partition_key, self.sort_key];
        for index in self.indexes {
            names.extend([index.partition_key, index.sort_key]);
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserved_attribute_names_are_the_schemas() {
        let mut reserved: Vec<&str> = crate::store::RESERVED_ATTRIBUTES.to_vec();
        let mut schema = TABLE.key_attributes();
        schema.push(TABLE.ttl_attribute);
        reserved.sort_unstable();
        schema.sort_unstable();
        assert_eq!(reserved, schema);
    }
}
