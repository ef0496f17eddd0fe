"""Cross-domain services (users, ...): keyword-only functions that own their transactions."""
