"""Long work as jobs: the message format, the job-type registry and the SQS worker seam."""
