#!/usr/bin/env bash
# Creates (or updates) the PostgreSQL role and database Tuneboard uses, and prints the DATABASE_URL to set.
# Safe to run again: existing roles and databases are kept, and so is the password unless one is given.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: create-database.sh [options]

Creates a login role and a database owned by it for Tuneboard, through psql as an administrator,
and prints the DATABASE_URL to give the Tuneboard API and workers (the only line on stdout).

Options:
  --host H           PostgreSQL server to connect to (default: $PGHOST or 127.0.0.1)
  --port P           its port (default: $PGPORT or 5432)
  --admin-user U     an administrator role that may create roles and databases (default: $PGUSER or postgres)
  --admin-db D       database to connect to as the administrator (default: postgres)
  --role R           the role Tuneboard logs in as (default: tuneboard)
  --database D       the database Tuneboard uses (default: tuneboard)
  --password P       the role's password (default: $TUNEBOARD_DB_PASSWORD, else a generated one for a new role)
  --reset-password   give an existing role a new generated password (servers using the old one must be updated)
  --url-host H       host name to put in the printed URL, when Tuneboard reaches the server under another name
  -h, --help         show this help

The administrator's password, if any, is read by psql as usual (PGPASSWORD or ~/.pgpass).

Examples:
  ./create-database.sh --host db.internal --admin-user postgres
  export DATABASE_URL="$(./create-database.sh)"
EOF
}

die() {
  echo "create-database.sh: $*" >&2
  exit 2
}

host="${PGHOST:-127.0.0.1}"
port="${PGPORT:-5432}"
admin_user="${PGUSER:-postgres}"
admin_db="postgres"
role="tuneboard"
database="tuneboard"
password="${TUNEBOARD_DB_PASSWORD:-}"
reset_password=false
url_host=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --host) host="${2:?--host needs a value}"; shift 2 ;;
    --port) port="${2:?--port needs a value}"; shift 2 ;;
    --admin-user) admin_user="${2:?--admin-user needs a value}"; shift 2 ;;
    --admin-db) admin_db="${2:?--admin-db needs a value}"; shift 2 ;;
    --role) role="${2:?--role needs a value}"; shift 2 ;;
    --database) database="${2:?--database needs a value}"; shift 2 ;;
    --password) password="${2:?--password needs a value}"; shift 2 ;;
    --reset-password) reset_password=true; shift ;;
    --url-host) url_host="${2:?--url-host needs a value}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; echo >&2; die "unknown option \"$1\"" ;;
  esac
done

# Plain lower-case identifiers need no quoting anywhere: in SQL, in the URL, in pg_dump commands.
identifier='^[a-z_][a-z0-9_]{0,62}$'
[[ "$role" =~ $identifier ]] || die "--role must be a lower-case identifier (letters, digits, _), not \"$role\""
[[ "$database" =~ $identifier ]] || die "--database must be a lower-case identifier (letters, digits, _), not \"$database\""
[[ "$port" =~ ^[0-9]+$ ]] || die "--port must be a number, not \"$port\""
if [[ -n "$password" && "$reset_password" == true ]]; then die "give either --password or --reset-password, not both"; fi
command -v psql >/dev/null || die "psql is not installed (Debian/Ubuntu: apt-get install postgresql-client)"

admin_psql() {
  psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$admin_user" -d "$admin_db" "$@"
}

generate_password() {
  # Hex keeps the URL free of characters that would need escaping.
  if command -v openssl >/dev/null; then openssl rand -hex 24; else od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; fi
}

# Percent-encodes a URL component (the password may hold any character).
url_encode() {
  local input="$1" output="" char i
  for ((i = 0; i < ${#input}; i++)); do
    char="${input:i:1}"
    case "$char" in
      [a-zA-Z0-9.~_-]) output+="$char" ;;
      *) output+="$(printf '%%%02X' "'$char")" ;;
    esac
  done
  printf '%s' "$output"
}

role_exists="$(admin_psql -tA -v role="$role" <<'SQL'
select exists (select 1 from pg_roles where rolname = :'role');
SQL
)"

password_known=true
if [[ "$role_exists" == "t" ]]; then
  if [[ "$reset_password" == true ]]; then password="$(generate_password)"; fi
  if [[ -n "$password" ]]; then
    admin_psql -v role="$role" -v password="$password" <<'SQL'
select format('alter role %I with login password %L', :'role', :'password') \gexec
SQL
    echo "Role $role exists; set its password." >&2
  else
    password_known=false
    echo "Role $role exists; kept its password (pass --password or --reset-password to set one)." >&2
  fi
else
  if [[ -z "$password" ]]; then password="$(generate_password)"; fi
  admin_psql -v role="$role" -v password="$password" <<'SQL'
select format('create role %I with login password %L', :'role', :'password') \gexec
SQL
  echo "Created the role $role." >&2
fi

database_exists="$(admin_psql -tA -v database="$database" <<'SQL'
select exists (select 1 from pg_database where datname = :'database');
SQL
)"
if [[ "$database_exists" == "t" ]]; then
  echo "Database $database exists; made $role its owner." >&2
else
  # CREATE DATABASE cannot run inside a transaction block, so it is issued on its own through \gexec.
  admin_psql -v role="$role" -v database="$database" <<'SQL'
select format('create database %I owner %I encoding %L template template0', :'database', :'role', 'UTF8') \gexec
SQL
  echo "Created the database $database owned by $role." >&2
fi
# Owning the database (and, from PostgreSQL 15, thereby its public schema) is all Tuneboard needs: its
# migrations create the tables, and nobody else gets to connect.
admin_psql -v role="$role" -v database="$database" <<'SQL'
select format('alter database %I owner to %I', :'database', :'role') \gexec
select format('revoke all on database %I from public', :'database') \gexec
select format('grant connect, temporary on database %I to %I', :'database', :'role') \gexec
SQL
admin_psql -d "$database" -v role="$role" <<'SQL'
select format('alter schema public owner to %I', :'role') \gexec
SQL

url_password="$(url_encode "$password")"
if [[ "$password_known" == false ]]; then url_password="PASSWORD"; fi
url_host="${url_host:-$host}"
if [[ "$url_host" == *:* && "$url_host" != \[* ]]; then url_host="[$url_host]"; fi
if [[ "$password_known" == false ]]; then
  echo "Replace PASSWORD below with the role's current password." >&2
fi
echo "Set this for the Tuneboard API and workers (migrations run when the API starts):" >&2
echo "postgres://$role:$url_password@$url_host:$port/$database"
