"""Study plan admin API (`plans.router`)."""
