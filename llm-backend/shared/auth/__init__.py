"""Authentication: Cognito (or local development) JWT verification and FastAPI dependencies.

Import the dependencies from `shared.auth.dependencies`; nothing here does I/O at import time.
"""
