"""The one job engine: `book_jobs` rows (`models`), their state machine (`lifecycle`), the item
loop (`loop`) run by `engine.run_job` for every job type's `ItemHandler`, the heartbeat thread,
the message format, the job-type registry, dispatch and the SQS worker seam. Job types live in
their domains and register here; nothing in this package imports a domain."""
