"""The local development issuer and its CLI."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import jwt
import pytest

from config import BACKEND_DIR, Settings, reset_settings
from shared.auth import dev_token
from shared.auth.local_issuer import LOCAL_CLIENT_ID, LOCAL_ISSUER, LocalIssuer
from shared.auth.verifier import build_verifier
from shared.errors import AuthenticationError


def local_settings(key_file: Path, **values) -> Settings:
    return Settings(
        _env_file=None,
        environment="development",
        auth_mode="local",
        local_auth_key_file=str(key_file),
        **values,
    )


def test_key_is_created_on_first_use_with_mode_0600(tmp_path):
    key_file = tmp_path / "nested" / "key.pem"
    issuer = LocalIssuer(key_file)
    assert not key_file.exists()  # nothing happens until a key is needed
    issuer.jwks()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert list(key_file.parent.iterdir()) == [key_file]  # no temp files left behind


def test_key_is_reused_across_processes_and_kid_is_stable(tmp_path):
    key_file = tmp_path / "key.pem"
    first = LocalIssuer(key_file)
    token = first.mint(sub="alice")
    second = LocalIssuer(key_file)  # e.g. the server, after serve.sh printed tokens
    assert second.kid == first.kid
    assert second.jwks() == first.jwks()
    verifier = build_verifier(local_settings(key_file), fetch=second.jwks)
    assert verifier.verify(token).sub == "alice"


def test_concurrent_creation_ends_with_one_key(tmp_path):
    key_file = tmp_path / "key.pem"
    issuers = [LocalIssuer(key_file) for _ in range(8)]
    barrier = threading.Barrier(len(issuers))
    kids: list[str] = []

    def load(issuer: LocalIssuer) -> None:
        barrier.wait()
        kids.append(issuer.kid)

    threads = [threading.Thread(target=load, args=(i,)) for i in issuers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(kids)) == 1
    assert LocalIssuer(key_file).kid == kids[0]


def test_tokens_look_like_cognito_tokens(tmp_path):
    issuer = LocalIssuer(tmp_path / "key.pem")
    id_token = issuer.mint(sub="alice", email="alice@example.com", groups=["admin"], name="Alice")
    header = jwt.get_unverified_header(id_token)
    payload = jwt.decode(id_token, options={"verify_signature": False})
    assert header == {"alg": "RS256", "kid": issuer.kid, "typ": "JWT"}
    assert payload["iss"] == LOCAL_ISSUER
    assert payload["aud"] == LOCAL_CLIENT_ID
    assert (payload["token_use"], payload["sub"]) == ("id", "alice")
    assert payload["cognito:groups"] == ["admin"]
    assert (payload["email"], payload["email_verified"], payload["name"]) == (
        "alice@example.com",
        True,
        "Alice",
    )
    access = jwt.decode(
        issuer.mint(sub="bob", token_use="access"), options={"verify_signature": False}
    )
    assert access["client_id"] == LOCAL_CLIENT_ID
    assert "aud" not in access and "cognito:groups" not in access


def test_a_regenerated_key_invalidates_old_tokens(tmp_path):
    key_file = tmp_path / "key.pem"
    old_token = LocalIssuer(key_file).mint(sub="alice")
    key_file.unlink()
    fresh = LocalIssuer(key_file)
    verifier = build_verifier(local_settings(key_file), fetch=fresh.jwks)
    with pytest.raises(AuthenticationError) as refused:
        verifier.verify(old_token)
    assert refused.value.code == "unknown_key"


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_", "COGNITO_"))}
    return subprocess.run(
        [sys.executable, "-m", "shared.auth.dev_token", *args],
        cwd=BACKEND_DIR,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_prints_a_token_the_local_verifier_accepts(tmp_path):
    key_file = tmp_path / "key.pem"
    result = _cli(
        "--sub",
        "alice",
        "--admin",
        "--email",
        "alice@school.test",
        ENVIRONMENT="development",
        LOCAL_AUTH_KEY_FILE=str(key_file),
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert "\n" not in token
    verifier = build_verifier(local_settings(key_file))
    identity = verifier.verify(token)
    assert (identity.sub, identity.email, identity.is_admin) == ("alice", "alice@school.test", True)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_cli_student_access_token_is_not_admin(tmp_path, monkeypatch, capsys):
    key_file = tmp_path / "key.pem"
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.setenv("LOCAL_AUTH_KEY_FILE", str(key_file))
    monkeypatch.delenv("AUTH_MODE", raising=False)
    monkeypatch.delenv("COGNITO_USER_POOL_ID", raising=False)
    reset_settings()
    try:
        assert dev_token.main(["--sub", "bob", "--access"]) == 0
    finally:
        reset_settings()
    identity = build_verifier(local_settings(key_file)).verify(capsys.readouterr().out.strip())
    assert (identity.sub, identity.token_use, identity.groups) == ("bob", "access", ())


def test_cli_refuses_production(tmp_path):
    key_file = tmp_path / "key.pem"
    result = _cli(
        "--sub",
        "alice",
        ENVIRONMENT="production",
        AUTH_MODE="local",
        LOCAL_AUTH_KEY_FILE=str(key_file),
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "ENVIRONMENT=production" in result.stderr
    assert not key_file.exists()


def test_banner_prints_an_admin_and_a_student_token_in_local_mode(tmp_path):
    key_file = tmp_path / "key.pem"
    result = _cli("--banner", ENVIRONMENT="development", LOCAL_AUTH_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr
    tokens = dict(
        line.strip().removeprefix("export ").split("=", 1)
        for line in result.stdout.splitlines()
        if line.strip().startswith("export ")
    )
    verifier = build_verifier(local_settings(key_file))
    admin, student = (
        verifier.verify(tokens["ADMIN_TOKEN"]),
        verifier.verify(tokens["STUDENT_TOKEN"]),
    )
    assert (admin.sub, admin.is_admin) == ("local-admin", True)
    assert (student.sub, student.is_admin) == ("local-student", False)
    assert 'curl -H "Authorization: Bearer $STUDENT_TOKEN" http://127.0.0.1:8000/profile' in (
        result.stdout
    )


@pytest.mark.parametrize(
    "env",
    [
        {"ENVIRONMENT": "development", "AUTH_MODE": "cognito"},
        {"ENVIRONMENT": "development", "COGNITO_USER_POOL_ID": "eu-west-1_P"},
        {"ENVIRONMENT": "production", "AUTH_MODE": "local"},
    ],
)
def test_banner_is_silent_outside_local_mode(tmp_path, env):
    key_file = tmp_path / "key.pem"
    result = _cli("--banner", LOCAL_AUTH_KEY_FILE=str(key_file), **env)
    assert (result.returncode, result.stdout) == (0, "")
    assert not key_file.exists()
