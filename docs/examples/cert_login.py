#!/usr/bin/env python3
"""Log in to Coffer with a TLS client certificate and read one KV v2 secret.

Usage: cert_login.py ADDRESS CA_FILE CERT_FILE KEY_FILE ROLE MOUNT/PATH

  ADDRESS    the API address, e.g. https://127.0.0.1:8200 (any node: a follower forwards)
  CA_FILE    the CA that signed the server's certificate (data/tls/ca.pem for `make run`)
  CERT_FILE  the client certificate; KEY_FILE its private key
  ROLE       the cert auth role, as registered under auth/cert/certs/ROLE
  MOUNT/PATH the secret, e.g. secret/app/db for KV v2 at secret/

Prints the secret's data as JSON; exits 1 with the server's errors when a step is refused.
"""
import json
import sys

import requests


def main(address, ca_file, cert_file, key_file, role, secret):
    session = requests.Session()

    # The certificate itself is the credential: the TLS handshake presents it.
    login = session.post(
        f"{address}/v1/auth/cert/login",
        json={"name": role},
        cert=(cert_file, key_file),
        verify=ca_file,
        timeout=30,
    )
    if login.status_code != 200:
        sys.exit(f"login refused ({login.status_code}): {login.json().get('errors')}")
    token = login.json()["auth"]["client_token"]

    mount, _, path = secret.partition("/")
    read = session.get(
        f"{address}/v1/{mount}/data/{path}",
        headers={"X-Vault-Token": token},
        verify=ca_file,
        timeout=30,
    )
    if read.status_code != 200:
        sys.exit(f"read refused ({read.status_code}): {read.json().get('errors')}")
    print(json.dumps(read.json()["data"]["data"]))


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    main(*sys.argv[1:])
