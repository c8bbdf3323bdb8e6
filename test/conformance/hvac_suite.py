"""Drives a Coffer cluster with the unmodified hvac client (Debian's python3-hvac).

Usage: hvac_suite.py <leader-url> <follower-url> <ca-file> <root-token> <group>...

Each group is a list of steps; a step prints `ok <group>/<step>` when it passed. The first
failure prints `FAIL <group>/<step>: <error>` and ends the run with status 1.
"""
import sys
import traceback
import uuid

import hvac

LEADER, FOLLOWER, CA, ROOT = sys.argv[1:5]
GROUPS = sys.argv[5:]


def client(url, token=ROOT):
    return hvac.Client(url=url, token=token, verify=CA)


leader = client(LEADER)
follower = client(FOLLOWER)
unique = uuid.uuid4().hex[:8]


def expect_error(kind, call):
    try:
        call()
    except kind:
        return
    raise AssertionError(f"expected {kind.__name__}")


def system():
    health = leader.sys.read_health_status(method="GET")
    assert health["initialized"] and not health["sealed"], health
    yield "health"
    assert leader.sys.is_initialized() and not leader.sys.is_sealed()
    assert not follower.sys.is_sealed()
    yield "seal-status"
    status = follower.sys.read_leader_status()
    assert status["ha_enabled"] and not status["is_self"], status
    yield "leader-from-follower"
    assert leader.sys.get_encryption_key_status()["term"] >= 1
    yield "key-status"


def mounts():
    path = f"hv-{unique}"
    follower.sys.enable_secrets_engine("kv", path=path, options={"version": "2"})
    listed = leader.sys.list_mounted_secrets_engines()
    assert f"{path}/" in listed["data"], listed
    assert listed[f"{path}/"]["options"]["version"] == "2"
    yield "enable-through-follower"
    leader.sys.tune_mount_configuration(path, default_lease_ttl="1h", max_lease_ttl="2h")
    tuned = follower.sys.read_mount_configuration(path)
    assert tuned["data"]["default_lease_ttl"] == 3600, tuned
    yield "tune"
    leader.sys.move_backend(path, f"{path}-moved")
    assert f"{path}-moved/" in leader.sys.list_mounted_secrets_engines()["data"]
    yield "move"
    leader.sys.disable_secrets_engine(f"{path}-moved")
    assert f"{path}-moved/" not in leader.sys.list_mounted_secrets_engines()["data"]
    yield "disable"
    expect_error(hvac.exceptions.InvalidRequest,
                 lambda: leader.sys.enable_secrets_engine("kv", path="secret/nested"))
    yield "overlap-refused"


def kv2():
    kv = leader.secrets.kv.v2
    path = f"app-{unique}"
    written = kv.create_or_update_secret(path=path, secret={"password": "s3cr3t"})
    assert written["data"]["version"] == 1, written
    yield "write"
    read = follower.secrets.kv.v2.read_secret_version(path=path)
    assert read["data"]["data"] == {"password": "s3cr3t"}, read
    yield "read-through-follower"
    follower.secrets.kv.v2.create_or_update_secret(path=path, secret={"password": "v2"}, cas=1)
    expect_error(hvac.exceptions.InvalidRequest,
                 lambda: kv.create_or_update_secret(path=path, secret={"x": "y"}, cas=1))
    yield "cas"
    listed = follower.secrets.kv.v2.list_secrets(path="")
    assert f"{path}" in listed["data"]["keys"], listed
    yield "list"
    meta = kv.read_secret_metadata(path=path)
    assert meta["data"]["current_version"] == 2, meta
    yield "metadata"
    kv.delete_metadata_and_all_versions(path=path)
    expect_error(hvac.exceptions.InvalidPath, lambda: kv.read_secret_version(path=path))
    yield "delete-all"


def main():
    for name in GROUPS:
        group = globals()[name]
        steps = group()
        step = "start"
        try:
            for step in steps:
                print(f"ok {name}/{step}", flush=True)
        except Exception as err:  # report which step broke, then stop
            print(f"FAIL {name}/after-{step}: {type(err).__name__}: {err}", flush=True)
            traceback.print_exc()
            sys.exit(1)


main()
