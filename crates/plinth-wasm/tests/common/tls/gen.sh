#!/usr/bin/env bash
# Regenerates the test certificates: a certificate authority, and a
# server certificate for `localhost` only that it signed, valid for a
# century. The tests trust `ca.pem` through `TlsRoots`; nothing else does.
set -euo pipefail
cd "$(dirname "$0")"
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days 36500 -subj "/CN=plinth test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out localhost.key
openssl req -new -key localhost.key -subj "/CN=localhost" -out localhost.csr
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost" > localhost.ext
openssl x509 -req -in localhost.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 36500 \
  -extfile localhost.ext -out localhost.pem
rm -f localhost.csr localhost.ext ca.srl ca.key
