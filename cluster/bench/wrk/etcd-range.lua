-- etcd reads for wrk through the v3 JSON gateway: POST /v3/kv/range for one key, base64-encoded,
-- one of BENCH_KEYS keys at random per request. The request leaves "serializable" unset, so every
-- read is linearizable (the leader confirms its leadership through a read index first).
local dir = debug.getinfo(1, 'S').source:match('^@(.*/)') or './'
package.path = dir .. '?.lua;' .. package.path
local common = require('common')

local requests

setup = common.setup

function init()
  local headers = { ['Content-Type'] = 'application/json' }
  requests = common.prepare(function(i)
    local body = '{"key":"' .. common.base64(common.key(i)) .. '"}'
    return wrk.format('POST', '/v3/kv/range', headers, body)
  end)
end

function request()
  return common.pick(requests)
end
