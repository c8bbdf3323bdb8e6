# Example server configuration for one node of a three-node Coffer cluster on Ubuntu.
# Copy it to /etc/coffer/coffer.hcl on each host and change node_id, the addresses and the
# certificate paths. Start the first node without retry_join (it founds the cluster); give the
# other two a retry_join stanza pointing at it. See docs/cluster.md.
storage "raft" {
  path    = "/opt/raft"
  node_id = "coffer-1"

  # On the second and third node:
  # retry_join {
  #   leader_api_addr     = "https://coffer-1.example.internal:8200"
  #   leader_ca_cert_file = "/etc/coffer/tls/ca.pem"
  # }
}

listener "tcp" {
  address         = "0.0.0.0:8200"
  cluster_address = "0.0.0.0:8201"
  tls_cert_file   = "/etc/coffer/tls/node.pem"
  tls_key_file    = "/etc/coffer/tls/node-key.pem"
}

# Coffer-only: mutual TLS between nodes, each certificate's CN being the node_id.
cluster_tls {
  ca_file   = "/etc/coffer/tls/ca.pem"
  cert_file = "/etc/coffer/tls/node.pem"
  key_file  = "/etc/coffer/tls/node-key.pem"
}

api_addr      = "https://coffer-1.example.internal:8200"
cluster_addr  = "https://coffer-1.example.internal:8201"
log_level     = "info"
disable_mlock = true
