-- Coffer KV v2 reads for wrk: GET /v1/secret/data/<key> with the root token, one of BENCH_KEYS
-- keys at random per request; kv-vs-etcd.ts writes every key before this runs, so each read
-- finds a value. COFFER_TOKEN must hold the token; COFFER_MOUNT the KV v2 mount, default "secret".
local dir = debug.getinfo(1, 'S').source:match('^@(.*/)') or './'
package.path = dir .. '?.lua;' .. package.path
local common = require('common')

local token = os.getenv('COFFER_TOKEN') or error('COFFER_TOKEN is not set')
local mount = os.getenv('COFFER_MOUNT') or 'secret'
local requests

setup = common.setup

function init()
  local headers = { ['X-Vault-Token'] = token }
  requests = common.prepare(function(i)
    return wrk.format('GET', '/v1/' .. mount .. '/data/' .. common.key(i), headers)
  end)
end

function request()
  return common.pick(requests)
end
