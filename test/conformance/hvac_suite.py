"""Drives a Coffer cluster with the unmodified hvac client (Debian's python3-hvac).

Usage: hvac_suite.py <leader-url> <follower-url> <ca-file> <root-token> <scratch-dir> <run>...

Each run is `<group>@leader` or `<group>@follower`: the group's calls go through that node
(`via`), and what they wrote is read back through the other one (`other`), so a follower run
checks that writes are forwarded and reads see them after a read index. A step prints
`ok <group>/<step>` when it passed. The first failure prints `FAIL <group>/after-<step>: <error>`
and ends the run with status 1.
"""
import json
import os
import sys
import traceback
import uuid

import hvac
from hvac import exceptions

LEADER, FOLLOWER, CA, ROOT, SCRATCH = sys.argv[1:6]
RUNS = sys.argv[6:]


def client(url, token=ROOT):
    return hvac.Client(url=url, token=token, verify=CA)


unique = uuid.uuid4().hex[:8]


def expect_error(kind, call):
    try:
        call()
    except kind:
        return
    except Exception as err:  # the wrong kind is as bad as none
        raise AssertionError(f"expected {kind.__name__}, got {type(err).__name__}: {err}")
    raise AssertionError(f"expected {kind.__name__}")


def denied(call):
    expect_error(exceptions.Forbidden, call)


def system(via, other, tag):
    health = via.sys.read_health_status(method="GET", standby_ok=True)
    assert health["initialized"] and not health["sealed"], health
    yield "health"
    assert via.sys.is_initialized() and not via.sys.is_sealed()
    assert not other.sys.is_sealed()
    yield "seal-status"
    status = client(FOLLOWER).sys.read_leader_status()
    assert status["ha_enabled"] and not status["is_self"], status
    assert status["leader_address"] == LEADER, status
    yield "leader-from-follower"
    assert via.sys.get_encryption_key_status()["term"] >= 1
    yield "key-status"
    assert via.is_authenticated() and not client(via.url, "hvs.not-a-token").is_authenticated()
    yield "is-authenticated"


def mounts(via, other, tag):
    v1, v2 = f"m1-{tag}", f"m2-{tag}"
    via.sys.enable_secrets_engine("kv", path=v1, options={"version": "1"}, description="v1")
    via.sys.enable_secrets_engine("kv", path=v2, options={"version": "2"})
    listed = other.sys.list_mounted_secrets_engines()
    assert listed["data"][f"{v1}/"]["type"] == "kv", listed
    assert listed["data"][f"{v1}/"]["description"] == "v1", listed
    assert listed[f"{v2}/"]["options"]["version"] == "2", listed
    assert other.sys.retrieve_mount_option(v2, "version") == "2"
    yield "enable"
    via.sys.tune_mount_configuration(v2, default_lease_ttl="1h", max_lease_ttl="2h")
    tuned = other.sys.read_mount_configuration(v2)
    assert tuned["data"]["default_lease_ttl"] == 3600, tuned
    assert tuned["data"]["max_lease_ttl"] == 7200, tuned
    yield "tune"
    via.sys.move_backend(v1, f"{v1}-moved")
    after = other.sys.list_mounted_secrets_engines()["data"]
    assert f"{v1}-moved/" in after and f"{v1}/" not in after, after
    yield "move"
    via.sys.disable_secrets_engine(f"{v1}-moved")
    via.sys.disable_secrets_engine(v2)
    after = other.sys.list_mounted_secrets_engines()["data"]
    assert f"{v1}-moved/" not in after and f"{v2}/" not in after, after
    yield "disable"
    expect_error(exceptions.InvalidRequest,
                 lambda: via.sys.enable_secrets_engine("kv", path="secret/nested"))
    yield "overlap-refused"


def kv1(via, other, tag):
    mount = f"kv1-{tag}"
    via.sys.enable_secrets_engine("kv", path=mount, options={"version": "1"})
    kv, seen = via.secrets.kv.v1, other.secrets.kv.v1
    kv.create_or_update_secret(path="app/db", secret={"password": "p1"}, mount_point=mount)
    kv.create_or_update_secret(path="app/api", secret={"key": "k1"}, mount_point=mount)
    kv.create_or_update_secret(path="top", secret={"n": "1"}, mount_point=mount)
    read = seen.read_secret(path="app/db", mount_point=mount)
    assert read["data"] == {"password": "p1"}, read
    yield "write-read"
    kv.create_or_update_secret(path="app/db", secret={"password": "p2"}, mount_point=mount)
    assert seen.read_secret(path="app/db", mount_point=mount)["data"] == {"password": "p2"}
    yield "overwrite"
    assert sorted(seen.list_secrets(path="app", mount_point=mount)["data"]["keys"]) == ["api", "db"]
    assert sorted(seen.list_secrets(path="", mount_point=mount)["data"]["keys"]) == ["app/", "top"]
    yield "list"
    kv.delete_secret(path="app/db", mount_point=mount)
    expect_error(exceptions.InvalidPath, lambda: seen.read_secret(path="app/db", mount_point=mount))
    assert seen.list_secrets(path="app", mount_point=mount)["data"]["keys"] == ["api"]
    yield "delete"
    kv.delete_secret(path="app/api", mount_point=mount)
    expect_error(exceptions.InvalidPath, lambda: seen.list_secrets(path="app", mount_point=mount))
    yield "list-empty-404"
    via.sys.disable_secrets_engine(mount)


def kv2(via, other, tag):
    kv, seen = via.secrets.kv.v2, other.secrets.kv.v2
    path = f"app-{tag}"
    written = kv.create_or_update_secret(path=path, secret={"password": "s1"})
    assert written["data"]["version"] == 1, written
    read = seen.read_secret_version(path=path)
    assert read["data"]["data"] == {"password": "s1"}, read
    assert read["data"]["metadata"]["version"] == 1, read
    yield "write-read"
    assert kv.create_or_update_secret(path=path, secret={"password": "s2"}, cas=1)["data"]["version"] == 2
    expect_error(exceptions.InvalidRequest,
                 lambda: kv.create_or_update_secret(path=path, secret={"x": "y"}, cas=1))
    yield "cas"
    assert seen.read_secret_version(path=path, version=1)["data"]["data"] == {"password": "s1"}
    assert seen.read_secret_version(path=path)["data"]["data"] == {"password": "s2"}
    yield "read-versions"
    patched = kv.patch(path=path, secret={"user": "svc"})
    assert patched["data"]["version"] == 3, patched
    assert seen.read_secret_version(path=path)["data"]["data"] == {"password": "s2", "user": "svc"}
    yield "patch"
    kv.delete_latest_version_of_secret(path=path)
    expect_error(exceptions.InvalidPath, lambda: seen.read_secret_version(path=path))
    kv.undelete_secret_versions(path=path, versions=[3])
    assert seen.read_secret_version(path=path)["data"]["metadata"]["version"] == 3
    kv.delete_secret_versions(path=path, versions=[2])
    expect_error(exceptions.InvalidPath, lambda: seen.read_secret_version(path=path, version=2))
    yield "delete-undelete"
    kv.destroy_secret_versions(path=path, versions=[1])
    expect_error(exceptions.InvalidPath, lambda: seen.read_secret_version(path=path, version=1))
    yield "destroy"
    meta = seen.read_secret_metadata(path=path)["data"]
    assert meta["current_version"] == 3 and meta["oldest_version"] in (0, 1), meta
    assert meta["versions"]["1"]["destroyed"] is True, meta
    assert meta["versions"]["2"]["deletion_time"] != "", meta
    assert meta["versions"]["3"]["deletion_time"] == "", meta
    yield "metadata-read"
    kv.update_metadata(path=path, max_versions=5, cas_required=True)
    meta = seen.read_secret_metadata(path=path)["data"]
    assert meta["max_versions"] == 5 and meta["cas_required"] is True, meta
    expect_error(exceptions.InvalidRequest,
                 lambda: kv.create_or_update_secret(path=path, secret={"no": "cas"}))
    yield "metadata-update"
    kv.create_or_update_secret(path=f"{path}-dir/inner", secret={"a": "b"})
    keys = seen.list_secrets(path="")["data"]["keys"]
    assert path in keys and f"{path}-dir/" in keys, keys
    assert seen.list_secrets(path=f"{path}-dir")["data"]["keys"] == ["inner"]
    yield "list"
    kv.delete_metadata_and_all_versions(path=path)
    kv.delete_metadata_and_all_versions(path=f"{path}-dir/inner")
    expect_error(exceptions.InvalidPath, lambda: seen.read_secret_version(path=path))
    expect_error(exceptions.InvalidPath, lambda: seen.read_secret_metadata(path=path))
    yield "metadata-delete"


def policies(via, other, tag):
    name = f"app-{tag}"
    rules = (
        f'path "secret/data/{name}/*" {{\n  capabilities = ["create", "read", "update"]\n}}\n'
        f'path "secret/metadata/{name}/*" {{\n  capabilities = ["list"]\n}}\n'
    )
    via.sys.create_or_update_policy(name=name, policy=rules)
    assert other.sys.read_policy(name=name)["data"]["rules"] == rules
    listed = other.sys.list_policies()["data"]["policies"]
    assert name in listed and "default" in listed and "root" in listed, listed
    yield "create-read-list"
    token = via.auth.token.create(policies=[name], ttl="10m")["auth"]["client_token"]
    limited, limited_other = client(via.url, token), client(other.url, token)
    limited.secrets.kv.v2.create_or_update_secret(path=f"{name}/db", secret={"pw": "x"})
    assert limited_other.secrets.kv.v2.read_secret_version(path=f"{name}/db")["data"]["data"] == {"pw": "x"}
    assert limited_other.secrets.kv.v2.list_secrets(path=name)["data"]["keys"] == ["db"]
    yield "allowed"
    denied(lambda: limited.secrets.kv.v2.read_secret_version(path="elsewhere"))
    denied(lambda: limited.secrets.kv.v2.create_or_update_secret(path="elsewhere", secret={"a": "b"}))
    denied(lambda: limited.secrets.kv.v2.delete_metadata_and_all_versions(path=f"{name}/db"))
    denied(lambda: limited_other.sys.list_mounted_secrets_engines())
    denied(lambda: limited.sys.create_or_update_policy(name=name, policy='path "*" { capabilities = ["sudo"] }'))
    yield "denied"
    caps = limited_other.sys.get_capabilities(paths=[f"secret/data/{name}/db", "sys/mounts"])
    assert sorted(caps[f"secret/data/{name}/db"]) == ["create", "read", "update"], caps
    assert caps["sys/mounts"] == ["deny"], caps
    yield "capabilities-self"
    via.sys.delete_policy(name=name)
    assert name not in other.sys.list_policies()["data"]["policies"]
    denied(lambda: limited_other.secrets.kv.v2.read_secret_version(path=f"{name}/db"))
    via.secrets.kv.v2.delete_metadata_and_all_versions(path=f"{name}/db")
    yield "delete"
    expect_error(exceptions.InvalidRequest, lambda: via.sys.delete_policy(name="root"))
    expect_error(exceptions.InvalidRequest,
                 lambda: via.sys.create_or_update_policy(name=f"bad-{tag}", policy="path {"))
    yield "refusals"


def tokens(via, other, tag):
    created = via.auth.token.create(policies=["default"], ttl="1h", meta={"app": tag},
                                    display_name=f"t-{tag}")
    auth = created["auth"]
    token, accessor = auth["client_token"], auth["accessor"]
    assert token.startswith("hvs.") and auth["policies"] == ["default"], auth
    assert auth["lease_duration"] == 3600 and auth["renewable"] is True, auth
    yield "create"
    looked = other.auth.token.lookup(token=token)["data"]
    assert looked["id"] == token and looked["accessor"] == accessor, looked
    assert looked["meta"] == {"app": tag} and 3500 < looked["ttl"] <= 3600, looked
    assert looked["display_name"] == f"token-t-{tag}", looked
    assert looked["path"] == "auth/token/create", looked
    yield "lookup"
    me = client(other.url, token).auth.token.lookup_self()["data"]
    assert me["id"] == token and me["policies"] == ["default"], me
    yield "lookup-self"
    by_accessor = other.auth.token.lookup_accessor(accessor=accessor)["data"]
    assert by_accessor["id"] == "" and by_accessor["accessor"] == accessor, by_accessor
    yield "lookup-accessor"
    renewed = via.auth.token.renew(token=token, increment="2h")["auth"]
    assert 7100 < renewed["lease_duration"] <= 7200, renewed
    assert 7100 < other.auth.token.lookup(token=token)["data"]["ttl"] <= 7200
    renewed = client(via.url, token).auth.token.renew_self(increment=600)["auth"]
    assert 500 < renewed["lease_duration"] <= 600, renewed
    via.auth.token.renew_accessor(accessor=accessor, increment=900)
    assert 800 < other.auth.token.lookup(token=token)["data"]["ttl"] <= 900
    yield "renew"
    accessors = other.auth.token.list_accessors()["data"]["keys"]
    assert accessor in accessors, accessors
    via.auth.token.revoke_accessor(accessor=accessor)
    denied(lambda: client(other.url, token).auth.token.lookup_self())
    assert accessor not in other.auth.token.list_accessors()["data"]["keys"]
    yield "accessors"

    limited = via.auth.token.create(policies=["default"], num_uses=2)["auth"]["client_token"]
    assert client(via.url, limited).auth.token.lookup_self()["data"]["num_uses"] == 1
    client(other.url, limited).auth.token.lookup_self()
    denied(lambda: client(via.url, limited).auth.token.lookup_self())
    yield "num-uses"

    parent = via.auth.token.create(policies=["root"], ttl="1h")["auth"]["client_token"]
    parent_client = client(via.url, parent)
    # The child holds the root policy too, so that it may create the grandchild.
    child = parent_client.auth.token.create(policies=["root"], ttl="30m")["auth"]["client_token"]
    grandchild = client(other.url, child).auth.token.create(policies=["default"], ttl="10m")
    grandchild = grandchild["auth"]["client_token"]
    assert other.auth.token.lookup(token=child)["data"]["orphan"] is False
    orphan = via.auth.token.create(policies=["default"], no_parent=True)["auth"]
    assert orphan["orphan"] is True, orphan
    via.auth.token.revoke(token=parent)
    for gone in (parent, child, grandchild):
        denied(lambda: client(other.url, gone).auth.token.lookup_self())
    client(other.url, orphan["client_token"]).auth.token.lookup_self()
    yield "revoke-tree"
    parent = via.auth.token.create(policies=["root"], ttl="1h")["auth"]["client_token"]
    child = client(via.url, parent).auth.token.create(ttl="30m")["auth"]["client_token"]
    via.auth.token.revoke_and_orphan_children(token=parent)
    denied(lambda: client(other.url, parent).auth.token.lookup_self())
    assert client(other.url, child).auth.token.lookup_self()["data"]["orphan"] is True
    yield "revoke-orphan"
    client(via.url, child).auth.token.revoke_self()
    client(via.url, orphan["client_token"]).auth.token.revoke_self()
    denied(lambda: client(other.url, child).auth.token.lookup_self())
    yield "revoke-self"
    # hvac's older Client methods, deprecated but still in wide use.
    legacy = via.create_token(policies=["default"], lease="5m")["auth"]["client_token"]
    assert other.lookup_token(legacy)["data"]["id"] == legacy
    via.revoke_token(legacy)
    denied(lambda: client(other.url, legacy).auth.token.lookup_self())
    yield "legacy-methods"


def token_lease_keys(c):
    try:
        return set(c.sys.list_leases(prefix="auth/token/create/")["data"]["keys"])
    except exceptions.InvalidPath:  # no lease there yet
        return set()


def leases(via, other, tag):
    before = token_lease_keys(other)
    created = via.auth.token.create(policies=["default"], ttl="1h")["auth"]
    token = created["client_token"]
    fresh = token_lease_keys(other) - before
    assert len(fresh) == 1, fresh
    lease_id = "auth/token/create/" + fresh.pop()
    yield "list"
    looked = other.sys.read_lease(lease_id=lease_id)["data"]
    assert looked["id"] == lease_id and looked["renewable"] is True, looked
    assert 3500 < looked["ttl"] <= 3600 and looked["expire_time"], looked
    assert looked["issue_time"] and looked["last_renewal"] is None, looked
    yield "lookup"
    # Vault renews tokens only through auth/token/renew*, never through sys/leases/renew.
    expect_error(exceptions.InvalidRequest, lambda: via.sys.renew_lease(lease_id=lease_id))
    via.auth.token.renew(token=token, increment="2h")
    looked = other.sys.read_lease(lease_id=lease_id)["data"]
    assert 7100 < looked["ttl"] <= 7200 and looked["last_renewal"], looked
    yield "renew"
    via.sys.revoke_lease(lease_id=lease_id)
    denied(lambda: client(other.url, token).auth.token.lookup_self())
    expect_error(exceptions.InvalidRequest, lambda: other.sys.read_lease(lease_id=lease_id))
    assert lease_id.rsplit("/", 1)[1] not in token_lease_keys(other)
    yield "revoke"
    prefixed = via.auth.token.create(policies=["default"], ttl="1h")["auth"]["client_token"]
    via.sys.revoke_prefix(prefix="auth/token/create/")
    denied(lambda: client(other.url, prefixed).auth.token.lookup_self())
    assert via.is_authenticated()  # the root token has no lease
    yield "revoke-prefix"


def audit(via, other, tag):
    device = f"file-{tag}"
    file_path = os.path.join(SCRATCH, f"audit-{tag}.log")
    via.sys.enable_audit_device("file", path=device, options={"file_path": file_path},
                                description="conformance")
    listed = other.sys.list_enabled_audit_devices()["data"]
    assert listed[f"{device}/"]["type"] == "file", listed
    assert listed[f"{device}/"]["options"]["file_path"] == file_path, listed
    yield "enable-list"
    secret = f"plaintext-{uuid.uuid4().hex}"
    path = f"audited-{tag}"
    via.secrets.kv.v2.create_or_update_secret(path=path, secret={"password": secret})
    assert other.secrets.kv.v2.read_secret_version(path=path)["data"]["data"]["password"] == secret
    hashed = other.sys.calculate_hash(path=device, input_to_hash=secret)["data"]["hash"]
    assert hashed.startswith("hmac-sha256:"), hashed
    yield "audit-hash"
    with open(file_path, encoding="utf-8") as log:
        text = log.read()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert secret not in text and ROOT not in text, "plaintext in the audit log"
    ours = [l for l in lines if l["request"]["path"] == f"secret/data/{path}"]
    writes = [l for l in ours if l["request"]["operation"] in ("create", "update")]
    assert {l["type"] for l in writes} == {"request", "response"}, writes
    for line in writes:
        assert line["request"]["data"]["data"]["password"] == hashed, line
        assert line["request"]["client_token"].startswith("hmac-sha256:"), line
    reads = [l for l in ours if l["type"] == "response" and l["request"]["operation"] == "read"]
    assert reads and reads[0]["response"]["data"]["data"]["password"] == hashed, reads
    yield "lines-hashed"
    via.sys.disable_audit_device(path=device)
    assert f"{device}/" not in other.sys.list_enabled_audit_devices()["data"]
    via.secrets.kv.v2.delete_metadata_and_all_versions(path=path)
    yield "disable"


def auth(via, other, tag):
    """userpass, AppRole and cert logins with hvac's own auth methods (issue "Auth methods")."""
    up, ar, ct = f"up-{tag}", f"ar-{tag}", f"ct-{tag}"
    policy = f"auth-reader-{tag}"
    via.sys.create_or_update_policy(
        name=policy, policy=f'path "secret/data/auth-{tag}/*" {{ capabilities = ["read"] }}')
    via.secrets.kv.v2.create_or_update_secret(path=f"auth-{tag}/db", secret={"pw": "s3"})

    def can_read_only_its_secret(token):
        user = client(other.url, token)
        read = user.secrets.kv.v2.read_secret_version(path=f"auth-{tag}/db")
        assert read["data"]["data"] == {"pw": "s3"}, read
        denied(lambda: user.secrets.kv.v2.read_secret_version(path=f"audited-{tag}"))
        denied(lambda: user.sys.list_mounted_secrets_engines())

    via.sys.enable_auth_method("userpass", path=up)
    via.auth.userpass.create_or_update_user(
        username="alice", password="correct horse", policies=[policy], mount_point=up)
    anonymous = hvac.Client(url=via.url, verify=CA)
    login = anonymous.auth.userpass.login("Alice", "correct horse", mount_point=up)
    assert login["auth"]["policies"] == ["auth-reader-" + tag, "default"], login
    can_read_only_its_secret(login["auth"]["client_token"])
    yield "userpass-login"
    for name, password in (("alice", "wrong"), ("nobody", "wrong")):
        expect_error(exceptions.InvalidRequest, lambda: hvac.Client(url=via.url, verify=CA)
                     .auth.userpass.login(name, password, mount_point=up))
    yield "userpass-refused"

    via.sys.enable_auth_method("approle", path=ar)
    via.auth.approle.create_or_update_approle(
        role_name="ci", token_policies=[policy], secret_id_num_uses=1, mount_point=ar)
    role_id = other.auth.approle.read_role_id("ci", mount_point=ar)["data"]["role_id"]
    secret_id = via.auth.approle.generate_secret_id("ci", mount_point=ar)["data"]["secret_id"]
    login = hvac.Client(url=via.url, verify=CA).auth.approle.login(
        role_id=role_id, secret_id=secret_id, mount_point=ar)
    can_read_only_its_secret(login["auth"]["client_token"])
    yield "approle-login"
    expect_error(exceptions.InvalidRequest, lambda: hvac.Client(url=other.url, verify=CA)
                 .auth.approle.login(role_id=role_id, secret_id=secret_id, mount_point=ar))
    yield "approle-used-up"

    via.sys.enable_auth_method("cert", path=ct)
    # hvac reads the role's certificate from a file path.
    via.auth.cert.create_ca_certificate_role(
        name="web", certificate=os.path.join(SCRATCH, "client-ca.pem"), token_policies=[policy],
        mount_point=ct)
    cert, key = os.path.join(SCRATCH, "client.pem"), os.path.join(SCRATCH, "client-key.pem")
    login = hvac.Client(url=via.url, verify=CA).auth.cert.login(
        name="web", cert_pem=cert, key_pem=key, mount_point=ct)
    can_read_only_its_secret(login["auth"]["client_token"])
    yield "cert-login"
    stranger = os.path.join(SCRATCH, "stranger.pem"), os.path.join(SCRATCH, "stranger-key.pem")
    expect_error(exceptions.InvalidRequest, lambda: hvac.Client(url=via.url, verify=CA)
                 .auth.cert.login(name="web", cert_pem=stranger[0], key_pem=stranger[1],
                                  mount_point=ct))
    yield "cert-refused"


def main():
    nodes = {"leader": (LEADER, FOLLOWER), "follower": (FOLLOWER, LEADER)}
    for run in RUNS:
        name, which = run.split("@")
        via_url, other_url = nodes[which]
        steps = globals()[name](client(via_url), client(other_url), f"{which[0]}{unique}")
        step = "start"
        try:
            for step in steps:
                print(f"ok {name}@{which}/{step}", flush=True)
        except Exception as err:  # report which step broke, then stop
            print(f"FAIL {name}@{which}/after-{step}: {type(err).__name__}: {err}", flush=True)
            traceback.print_exc()
            sys.exit(1)


main()
