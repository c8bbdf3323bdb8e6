# Node 3 of the local three-node cluster that `make run` starts (docs/cluster.md).
# Paths are relative to this file; `make run` creates data/ and the TLS material in data/tls.
storage "raft" {
  path    = "../data/node3"
  node_id = "node3"

  retry_join {
    leader_api_addr     = "https://127.0.0.1:8200"
    leader_ca_cert_file = "../data/tls/ca.pem"
  }
}

listener "tcp" {
  address         = "127.0.0.1:8220"
  cluster_address = "127.0.0.1:8221"
  tls_cert_file   = "../data/tls/node3.pem"
  tls_key_file    = "../data/tls/node3-key.pem"
}

# Coffer-only: the mutual-TLS material for node-to-node traffic, signed by the cluster CA.
cluster_tls {
  ca_file   = "../data/tls/ca.pem"
  cert_file = "../data/tls/node3.pem"
  key_file  = "../data/tls/node3-key.pem"
}

api_addr     = "https://127.0.0.1:8220"
cluster_addr = "https://127.0.0.1:8221"
pid_file     = "../data/node3/coffer.pid"
log_level    = "info"
disable_mlock = true
