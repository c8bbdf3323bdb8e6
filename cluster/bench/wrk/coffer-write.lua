-- Coffer KV v2 writes for wrk: POST /v1/secret/data/<key> with {"data": {"value": ...}} and the
-- root token, one of BENCH_KEYS keys at random per request (common.lua lists the settings).
-- COFFER_TOKEN must hold the token; COFFER_MOUNT the KV v2 mount, default "secret".
local dir = debug.getinfo(1, 'S').source:match('^@(.*/)') or './'
package.path = dir .. '?.lua;' .. package.path
local common = require('common')

local token = os.getenv('COFFER_TOKEN') or error('COFFER_TOKEN is not set')
local mount = os.getenv('COFFER_MOUNT') or 'secret'
local requests

setup = common.setup

function init()
  local body = '{"data":{"value":"' .. common.value() .. '"}}'
  local headers = { ['X-Vault-Token'] = token, ['Content-Type'] = 'application/json' }
  requests = common.prepare(function(i)
    return wrk.format('POST', '/v1/' .. mount .. '/data/' .. common.key(i), headers, body)
  end)
end

function request()
  return common.pick(requests)
end
