//! Creating the table from the schema in `domain::table::schema`, or checking that an
//! existing one matches it. In AWS, Terraform owns the table; this serves local servers,
//! tests and first-time setup (`sentiment-analyzer create-table`).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use domain::table::schema::{BILLING_MODE, TableSchema};

use crate::errors;

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// The table exists and matches the schema.
    AlreadyMatches,
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("table {table} exists but differs from the schema: {}", differences.join("; "))]
    Differs { table: String, differences: Vec<String> },
    #[error("table {table} did not become active within {}s", waited.as_secs())]
    NotActive { table: String, waited: Duration },
    #[error("{0}")]
    Store(#[from] domain::store::StoreError),
    #[error("cannot describe the schema to DynamoDB: {0}")]
    Build(String),
}

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, TableError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(|e| TableError::Build(e.to_string()))
}

/// Creates `table` as `schema` describes (and waits until it is active, with TTL enabled),
/// or checks an existing table against it.
pub async fn ensure(client: &Client, table: &str, schema: &TableSchema) -> Result<Outcome, TableError> {
    match describe(client, table).await? {
        Some(_) => {
            let differences = differences(client, table, schema).await?;
            if differences.is_empty() {
                Ok(Outcome::AlreadyMatches)
            } else {
                Err(TableError::Differs { table: table.to_owned(), differences })
            }
        }
        None => {
            create(client, table, schema).await?;
            Ok(Outcome::Created)
        }
    }
}

async fn describe(
    client: &Client,
    table: &str,
) -> Result<Option<aws_sdk_dynamodb::types::TableDescription>, TableError> {
    match client.describe_table().table_name(table).send().await {
        Ok(output) => Ok(output.table().cloned()),
        Err(error) => {
            if error.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) {
                Ok(None)
            } else {
                Err(errors::classify("DescribeTable", "table", error).into())
            }
        }
    }
}

async fn create(client: &Client, table: &str, schema: &TableSchema) -> Result<(), TableError> {
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::from(BILLING_MODE))
        .key_schema(key(schema.partition_key, KeyType::Hash)?)
        .key_schema(key(schema.sort_key, KeyType::Range)?);
    for name in schema.key_attributes() {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| TableError::Build(e.to_string()))?,
        );
    }
    for index in schema.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.partition_key, KeyType::Hash)?)
                .key_schema(key(index.sort_key, KeyType::Range)?)
                .projection(
                    Projection::builder().projection_type(ProjectionType::from(index.projection)).build(),
                )
                .build()
                .map_err(|e| TableError::Build(e.to_string()))?,
        );
    }
    request.send().await.map_err(|e| errors::classify("CreateTable", "table", e))?;

    let waited = Duration::from_secs(60);
    let deadline = tokio::time::Instant::now() + waited;
    loop {
        let active =
            describe(client, table).await?.is_some_and(|t| t.table_status() == Some(&TableStatus::Active));
        if active {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(TableError::NotActive { table: table.to_owned(), waited });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(schema.ttl_attribute)
                .build()
                .map_err(|e| TableError::Build(e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| errors::classify("UpdateTimeToLive", "table", e))?;
    Ok(())
}

/// How an existing table differs from the schema, in words (empty when it matches).
pub async fn differences(
    client: &Client,
    table: &str,
    schema: &TableSchema,
) -> Result<Vec<String>, TableError> {
    let Some(description) = describe(client, table).await? else {
        return Ok(vec![format!("table {table} does not exist")]);
    };
    let mut out = Vec::new();
    let keys = |elements: &[KeySchemaElement]| -> (Option<String>, Option<String>) {
        let find =
            |t: KeyType| elements.iter().find(|k| k.key_type() == &t).map(|k| k.attribute_name().to_owned());
        (find(KeyType::Hash), find(KeyType::Range))
    };
    let (hash, range) = keys(description.key_schema());
    if hash.as_deref() != Some(schema.partition_key) || range.as_deref() != Some(schema.sort_key) {
        out.push(format!(
            "key schema is {}/{}, expected {}/{}",
            hash.unwrap_or_default(),
            range.unwrap_or_default(),
            schema.partition_key,
            schema.sort_key
        ));
    }
    for definition in description.attribute_definitions() {
        if definition.attribute_type() != &ScalarAttributeType::S {
            out.push(format!("key attribute {} is not a string", definition.attribute_name()));
        }
    }
    for index in schema.indexes {
        let found =
            description.global_secondary_indexes().iter().find(|g| g.index_name() == Some(index.name));
        match found {
            None => out.push(format!("index {} is missing", index.name)),
            Some(g) => {
                let (hash, range) = keys(g.key_schema());
                if hash.as_deref() != Some(index.partition_key) || range.as_deref() != Some(index.sort_key) {
                    out.push(format!(
                        "index {} keys are {}/{}, expected {}/{}",
                        index.name,
                        hash.unwrap_or_default(),
                        range.unwrap_or_default(),
                        index.partition_key,
                        index.sort_key
                    ));
                }
                let projection =
                    g.projection().and_then(|p| p.projection_type()).map(|p| p.as_str().to_owned());
                if projection.as_deref() != Some(index.projection) {
                    out.push(format!(
                        "index {} projects {}, expected {}",
                        index.name,
                        projection.unwrap_or_else(|| "nothing".into()),
                        index.projection
                    ));
                }
            }
        }
    }
    for g in description.global_secondary_indexes() {
        if let Some(name) = g.index_name()
            && !schema.indexes.iter().any(|i| i.name == name)
        {
            out.push(format!("index {name} is not in the schema"));
        }
    }
    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| errors::classify("DescribeTimeToLive", "table", e))?;
    let ttl = ttl.time_to_live_description();
    let enabled = ttl
        .and_then(|t| t.time_to_live_status())
        .is_some_and(|s| matches!(s, TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling));
    let attribute = ttl.and_then(|t| t.attribute_name());
    if !enabled || attribute != Some(schema.ttl_attribute) {
        out.push(format!(
            "TTL is {} on {}, expected enabled on {}",
            if enabled { "enabled" } else { "disabled" },
            attribute.unwrap_or("no attribute"),
            schema.ttl_attribute
        ));
    }
    Ok(out)
}
