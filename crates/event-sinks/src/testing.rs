//! For tests (feature `test-support`): a bus whose events a rule forwards to an SQS queue,
//! so what was put on the bus can be read back as EventBridge delivers it.

use aws_sdk_sqs::types::QueueAttributeName;

/// A bus, a queue, and a rule with one target between them.
pub struct BusQueue {
    pub bus: String,
    pub queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl BusQueue {
    /// Creates the bus `bus`, a queue, and a rule sending the bus's events that match
    /// `pattern` (EventBridge's event-pattern JSON) to the queue. Panics on any failure: it
    /// is test set-up.
    pub async fn create(
        events: &aws_sdk_eventbridge::Client,
        sqs: aws_sdk_sqs::Client,
        bus: &str,
        pattern: &str,
    ) -> Self {
        events.create_event_bus().name(bus).send().await.expect("create the bus");
        let queue = sqs.create_queue().queue_name(format!("{bus}-q")).send().await.expect("create the queue");
        let queue_url = queue.queue_url().expect("a queue URL").to_owned();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("the queue's ARN");
        let queue_arn = attributes.attributes().expect("attributes")[&QueueAttributeName::QueueArn].clone();
        let rule = format!("{bus}-to-queue");
        events
            .put_rule()
            .name(&rule)
            .event_bus_name(bus)
            .event_pattern(pattern)
            .send()
            .await
            .expect("put the rule");
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id("queue")
            .arn(queue_arn)
            .build()
            .expect("a target");
        events
            .put_targets()
            .rule(&rule)
            .event_bus_name(bus)
            .targets(target)
            .send()
            .await
            .expect("put the target");
        Self { bus: bus.to_owned(), queue_url, sqs }
    }

    /// Every message the queue holds now, as JSON (the EventBridge envelope: `source`,
    /// `detail-type`, `detail`, ...), taken off the queue. Delivery through a rule is
    /// synchronous on moto, so what was put before the call is all here.
    pub async fn drain(&self) -> Vec<serde_json::Value> {
        let mut bodies = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive from the queue");
            if received.messages().is_empty() {
                return bodies;
            }
            for message in received.messages() {
                bodies
                    .push(serde_json::from_str(message.body().unwrap_or_default()).expect("a JSON message"));
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete the message");
            }
        }
    }
}
