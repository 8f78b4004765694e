#!/usr/bin/env bash
# Smoke test for server.mjs: starts it on a free port, exercises discovery,
# JWKS, every token kind and key rotation with curl, then closes its stdin and
# checks that it exits. Exits non-zero on any failure.
#
# Usage: bash tests/provider/smoke.sh   (runs `npm ci` first if node_modules is missing)
set -euo pipefail

cd "$(dirname "$0")"

if [ ! -d node_modules/oidc-provider ]; then
  npm ci --no-audit --no-fund >&2
fi

tmp=$(mktemp -d)
pid=
cleanup() {
  local rc=$?
  { exec 3>&-; } 2>/dev/null || true
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then
    echo "---- server stderr ----" >&2
    cat "$tmp/stderr" >&2 || true
    echo "SMOKE FAILED (rc=$rc)" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo; echo "== $*"; }

# JSON field extraction: json_get '<js expression on j>' < json
json_get() { node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8")); const v=(new Function("j","return ("+process.argv[1]+")"))(j); if (v===undefined) process.exit(3); process.stdout.write(typeof v==="string"?v:JSON.stringify(v));' "$1"; }

# Decode a JWT, print header and payload, verify its signature against a JWKS
# file and evaluate an assertion (JS expression on h, p).
jwt_check() { # token jwks_file assertion
  node -e '
    const crypto = require("crypto");
    const [token, jwksFile, assertion] = process.argv.slice(1);
    const parts = token.split(".");
    if (parts.length !== 3) { console.error("not a JWS compact token:", token); process.exit(1); }
    const h = JSON.parse(Buffer.from(parts[0], "base64url"));
    const p = JSON.parse(Buffer.from(parts[1], "base64url"));
    console.log("header: ", JSON.stringify(h));
    console.log("payload:", JSON.stringify(p));
    const jwks = JSON.parse(require("fs").readFileSync(jwksFile, "utf8"));
    const jwk = jwks.keys.find((k) => k.kid === h.kid);
    if (!jwk) { console.error("kid not in JWKS:", h.kid); process.exit(1); }
    const key = crypto.createPublicKey({ key: jwk, format: "jwk" });
    const algs = { ES384: ["sha384", { dsaEncoding: "ieee-p1363" }], RS256: ["sha256", {}] };
    if (!algs[h.alg]) { console.error("unexpected alg", h.alg); process.exit(1); }
    const [hash, opts] = algs[h.alg];
    const ok = crypto.verify(hash, Buffer.from(parts[0] + "." + parts[1]), { key, ...opts }, Buffer.from(parts[2], "base64url"));
    if (!ok) { console.error("signature does not verify"); process.exit(1); }
    console.log("signature: ok (" + h.alg + ", kid " + h.kid + ")");
    const pass = (new Function("h", "p", "return (" + assertion + ")"))(h, p);
    if (!pass) { console.error("assertion failed:", assertion); process.exit(1); }
  ' "$1" "$2" "$3"
}

# ---------------------------------------------------------------------------
step "start server"
mkfifo "$tmp/stdin"
PORT=0 node server.mjs <"$tmp/stdin" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
exec 3>"$tmp/stdin" # keep the server's stdin open until we close fd 3

base=
for _ in $(seq 1 100); do
  if line=$(grep -m1 '^ready ' "$tmp/stdout" 2>/dev/null); then
    base=${line#ready }
    break
  fi
  kill -0 "$pid" 2>/dev/null || fail "server exited before becoming ready"
  sleep 0.1
done
[ -n "$base" ] || fail "no ready line within 10s"
[ "$(wc -l <"$tmp/stdout")" -eq 1 ] || fail "stdout must hold exactly one line"
echo "server pid $pid at $base"
issuer="$base/oidc"
token_ep="$issuer/token"

# ---------------------------------------------------------------------------
step "discovery"
disc=$(curl -fsS "$issuer/.well-known/openid-configuration")
[ "$(json_get 'j.issuer' <<<"$disc")" = "$issuer" ] || fail "issuer mismatch: $(json_get 'j.issuer' <<<"$disc")"
[ "$(json_get 'j.jwks_uri' <<<"$disc")" = "$issuer/jwks" ] || fail "jwks_uri mismatch"
[ "$(json_get 'j.token_endpoint' <<<"$disc")" = "$token_ep" ] || fail "token_endpoint mismatch"
echo "issuer=$(json_get 'j.issuer' <<<"$disc")"
echo "jwks_uri=$(json_get 'j.jwks_uri' <<<"$disc")"
echo "token_endpoint=$(json_get 'j.token_endpoint' <<<"$disc")"

step "JWKS"
curl -fsS "$issuer/jwks" >"$tmp/jwks.json"
cat "$tmp/jwks.json"; echo
json_get 'j.keys.length === 1 && j.keys[0].kty === "EC" && j.keys[0].crv === "P-384" && j.keys[0].alg === "ES384" && !!j.keys[0].kid && j.keys.every(k => !("d" in k)) || undefined' <"$tmp/jwks.json" >/dev/null \
  || fail "unexpected JWKS"
ec_kid=$(json_get 'j.keys[0].kid' <"$tmp/jwks.json")
admin_keys=$(curl -fsS "$base/admin/keys")
echo "admin/keys: $admin_keys"
[ "$(json_get 'j.signing' <<<"$admin_keys")" = "$ec_kid" ] || fail "admin/keys signing kid mismatch"

# token request helper: token_req <curl -d args...>; prints the JSON response
token_req() { curl -sS -u test-client:test-secret "$token_ep" -d grant_type=client_credentials "$@"; }

# ---------------------------------------------------------------------------
step "client_credentials token for https://api.example.com scope 'read:docs write:docs'"
resp=$(token_req -d resource=https://api.example.com --data-urlencode 'scope=read:docs write:docs')
echo "$resp"
at=$(json_get 'j.access_token' <<<"$resp") || fail "no access_token"
jwt_check "$at" "$tmp/jwks.json" "h.typ === 'at+jwt' && h.alg === 'ES384' && h.kid === '$ec_kid' && p.iss === '$issuer' && p.aud === 'https://api.example.com' && p.scope === 'read:docs write:docs' && p.sub === 'test-client' && p.client_id === 'test-client' && !!p.jti && p.exp > p.iat && !('organization_id' in p)"

step "same, credentials in the body (client_secret_post)"
resp=$(curl -sS "$token_ep" -d grant_type=client_credentials -d client_id=test-client-post -d client_secret=test-secret -d resource=https://other.example.com -d scope=read:docs)
at=$(json_get 'j.access_token' <<<"$resp") || fail "no access_token: $resp"
jwt_check "$at" "$tmp/jwks.json" "p.aud === 'https://other.example.com' && p.scope === 'read:docs' && p.sub === 'test-client-post' && p.client_id === 'test-client-post'"

step "organization-level API token (organization_id=org-a)"
resp=$(token_req -d resource=https://api.example.com -d organization_id=org-a -d scope=read:docs)
echo "$resp"
at=$(json_get 'j.access_token' <<<"$resp") || fail "no access_token"
jwt_check "$at" "$tmp/jwks.json" "p.aud === 'https://api.example.com' && p.organization_id === 'org-a' && p.scope === 'read:docs'"

step "organization token (resource urn:logto:organization:org-a, scope read:members)"
resp=$(token_req -d resource=urn:logto:organization:org-a -d scope=read:members)
echo "$resp"
at=$(json_get 'j.access_token' <<<"$resp") || fail "no access_token"
jwt_check "$at" "$tmp/jwks.json" "p.aud === 'urn:logto:organization:org-a' && p.scope === 'read:members' && p.sub === 'test-client'"

step "token without resource is opaque"
resp=$(token_req --data-urlencode 'scope=read:docs')
echo "$resp"
at=$(json_get 'j.access_token' <<<"$resp") || fail "no access_token"
if [ "$(awk -F. '{print NF}' <<<"$at")" -eq 3 ]; then fail "token without resource is a JWT: $at"; fi
echo "opaque: $at"

step "errors"
check_error() { # expected_status expected_error curl-args...
  local status=$1 error=$2; shift 2
  local out code
  out=$(curl -sS -w '\n%{http_code}' -u test-client:test-secret "$token_ep" -d grant_type=client_credentials "$@")
  code=${out##*$'\n'}; out=${out%$'\n'*}
  echo "$code $out"
  [ "$code" = "$status" ] || fail "expected HTTP $status, got $code"
  [ "$(json_get 'j.error' <<<"$out")" = "$error" ] || fail "expected error $error"
}
check_error 400 invalid_target -d resource=https://unknown.example.com
check_error 400 access_denied -d resource=https://api.example.com -d organization_id=org-z
check_error 401 invalid_client -u test-client:wrong-secret

# ---------------------------------------------------------------------------
step "key rotation: publish RSA key"
pub=$(curl -fsS -X POST "$base/admin/keys/publish?kty=RSA")
echo "$pub"
rsa_kid=$(json_get 'j.kid' <<<"$pub")
curl -fsS "$issuer/jwks" >"$tmp/jwks.json"
json_get "j.keys.length === 2 && j.keys.some(k => k.kid === '$rsa_kid' && k.kty === 'RSA' && !('alg' in k)) && j.keys.every(k => !('d' in k)) || undefined" <"$tmp/jwks.json" >/dev/null \
  || fail "RSA key not published as expected: $(cat "$tmp/jwks.json")"
echo "published: $(json_get 'j.keys.map(k => k.kid + "/" + k.kty + "/" + (k.alg || "-")).join(" ")' <"$tmp/jwks.json")"
at=$(token_req -d resource=https://api.example.com | json_get 'j.access_token')
jwt_check "$at" "$tmp/jwks.json" "h.alg === 'ES384' && h.kid === '$ec_kid'" >/dev/null || fail "published-only key must not sign yet"
echo "still signing with $ec_kid"

step "key rotation: sign with $rsa_kid"
curl -fsS -X POST "$base/admin/keys/sign?kid=$rsa_kid"; echo
at=$(token_req -d resource=https://api.example.com --data-urlencode 'scope=read:docs' | json_get 'j.access_token')
jwt_check "$at" "$tmp/jwks.json" "h.alg === 'RS256' && h.kid === '$rsa_kid' && h.typ === 'at+jwt' && p.scope === 'read:docs'"

step "key rotation: drop keys"
code=$(curl -sS -o "$tmp/drop.json" -w '%{http_code}' -X POST "$base/admin/keys/drop?kid=$rsa_kid")
echo "$code $(cat "$tmp/drop.json")"
[ "$code" = 400 ] || fail "dropping the signing key must be refused with 400"
curl -fsS -X POST "$base/admin/keys/drop?kid=$ec_kid"; echo
curl -fsS "$issuer/jwks" >"$tmp/jwks.json"
json_get "j.keys.length === 1 && j.keys[0].kid === '$rsa_kid' || undefined" <"$tmp/jwks.json" >/dev/null || fail "EC key still published"
at=$(token_req -d resource=https://api.example.com | json_get 'j.access_token')
jwt_check "$at" "$tmp/jwks.json" "h.alg === 'RS256' && h.kid === '$rsa_kid'" >/dev/null
echo "admin/keys: $(curl -fsS "$base/admin/keys")"

# ---------------------------------------------------------------------------
step "stop: close stdin, server must exit"
exec 3>&-
for _ in $(seq 1 50); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then fail "server still running 5s after stdin EOF"; fi
wait "$pid" || fail "server exited with non-zero status"
pid=
echo
echo "SMOKE OK"
