-- etcd writes for wrk through the v3 JSON gateway: POST /v3/kv/put with the key and the value
-- base64-encoded, one of BENCH_KEYS keys at random per request (common.lua lists the settings).
local dir = debug.getinfo(1, 'S').source:match('^@(.*/)') or './'
package.path = dir .. '?.lua;' .. package.path
local common = require('common')

local requests

setup = common.setup

function init()
  local value = common.base64(common.value())
  local headers = { ['Content-Type'] = 'application/json' }
  requests = common.prepare(function(i)
    local body = '{"key":"' .. common.base64(common.key(i)) .. '","value":"' .. value .. '"}'
    return wrk.format('POST', '/v3/kv/put', headers, body)
  end)
end

function request()
  return common.pick(requests)
end
