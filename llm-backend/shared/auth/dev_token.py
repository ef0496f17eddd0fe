"""Print a token from the local development issuer (AUTH_MODE=local).

    cd llm-backend
    .venv/bin/python -m shared.auth.dev_token --sub alice [--admin] [--email a@example.com]

The token is printed alone on stdout so a shell can capture it:
    TOKEN=$(.venv/bin/python -m shared.auth.dev_token --sub alice)
    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/profile

`--banner` (used by scripts/serve.sh) prints an admin and a student token with a short how-to
when the server will run in local mode, and nothing otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys

from config import AuthMode, Environment, Settings, get_settings
from shared.auth.identity import ADMIN_GROUP
from shared.auth.local_issuer import get_local_issuer

DEFAULT_EXPIRES_IN = 12 * 3600  # a working day, so a local session does not keep expiring


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.auth.dev_token",
        description="Mint a token signed by the local development key (AUTH_MODE=local).",
    )
    parser.add_argument("--sub", help="the user's id (Cognito's `sub`); required")
    parser.add_argument("--admin", action="store_true", help="put the user in the admin group")
    parser.add_argument("--email", help="email claim (default: <sub>@example.com)")
    parser.add_argument("--name", help="name claim")
    parser.add_argument("--access", action="store_true", help="an access token, not an id token")
    parser.add_argument(
        "--expires-in", type=int, default=DEFAULT_EXPIRES_IN, help="lifetime in seconds"
    )
    parser.add_argument("--banner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    settings = get_settings()
    if args.banner:
        return _banner(settings)
    if not args.sub:
        parser.error("--sub is required")
    if settings.environment == Environment.production:
        print("Refused: local tokens are never valid when ENVIRONMENT=production.", file=sys.stderr)
        return 2
    if settings.effective_auth_mode != AuthMode.local:
        print(
            "Warning: AUTH_MODE is 'cognito', so this server will not accept local tokens; "
            "set AUTH_MODE=local to use them.",
            file=sys.stderr,
        )
    if not args.sub.strip() or args.expires_in <= 0:
        parser.error("--sub must not be empty and --expires-in must be positive")
    token = get_local_issuer(settings).mint(
        sub=args.sub,
        email=None if args.access else (args.email or f"{args.sub}@example.com"),
        name=args.name,
        groups=[ADMIN_GROUP] if args.admin else [],
        token_use="access" if args.access else "id",
        expires_in=args.expires_in,
    )
    print(token)
    return 0


def _banner(settings: Settings) -> int:
    if settings.effective_auth_mode != AuthMode.local:
        return 0
    if settings.environment == Environment.production:
        return 0  # the server will refuse local mode and say why
    issuer = get_local_issuer(settings)
    admin = issuer.mint(
        sub="local-admin",
        email="local-admin@example.com",
        name="Local Admin",
        groups=[ADMIN_GROUP],
        expires_in=DEFAULT_EXPIRES_IN,
    )
    student = issuer.mint(
        sub="local-student",
        email="local-student@example.com",
        name="Local Student",
        expires_in=DEFAULT_EXPIRES_IN,
    )
    base = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
    print(
        "\nLocal sign-in (AUTH_MODE=local; tokens valid 12 h; mint more with "
        "`.venv/bin/python -m shared.auth.dev_token --sub NAME [--admin]`):\n"
        f"  export ADMIN_TOKEN={admin}\n"
        f"  export STUDENT_TOKEN={student}\n"
        f'  curl -H "Authorization: Bearer $STUDENT_TOKEN" {base}/profile\n'
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
