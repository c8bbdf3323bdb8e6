-- Shared by the wrk scripts of cluster/bench/kv-vs-etcd.ts: settings from the environment, the
-- key names and the value, base64 for etcd's JSON gateway, and per-thread random key choice.
--
-- Settings (kv-vs-etcd.ts sets them; the defaults make the scripts usable by hand):
--   BENCH_KEYS         number of distinct keys, default 10000
--   BENCH_VALUE_BYTES  size of every value written, default 200
--   BENCH_PREFIX       key name prefix, default "bench/"
--   BENCH_ADDRS        optional "host:port host:port ...": thread i sends to address i (modulo
--                      the list) instead of the URL's, to spread the load over a cluster
--
-- Every request string is built once in init() and picked at random per request, so the load
-- generator spends its time on sockets rather than on string building (see wrk's SCRIPTING).
local common = {}

common.keys = tonumber(os.getenv('BENCH_KEYS') or '10000')
common.value_bytes = tonumber(os.getenv('BENCH_VALUE_BYTES') or '200')
common.prefix = os.getenv('BENCH_PREFIX') or 'bench/'

--- The i-th key name, 0 <= i < common.keys.
function common.key(i)
  return string.format('%sk%05d', common.prefix, i)
end

--- The value every write carries: value_bytes printable ASCII bytes, the same as the
--- pre-population in kv-vs-etcd.ts writes.
function common.value()
  local alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  local out = {}
  for i = 1, common.value_bytes do
    local j = (i - 1) % #alphabet + 1
    out[i] = alphabet:sub(j, j)
  end
  return table.concat(out)
end

local B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

--- Standard base64 with padding (RFC 4648 section 4), as etcd's gateway expects for bytes fields.
function common.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(n / 262144) % 64
    local c2 = math.floor(n / 4096) % 64
    local c3 = math.floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = B64:sub(c1 + 1, c1 + 1) .. B64:sub(c2 + 1, c2 + 1)
      .. (b and B64:sub(c3 + 1, c3 + 1) or '=') .. (c and B64:sub(c4 + 1, c4 + 1) or '=')
  end
  return table.concat(out)
end

local addrs = {}
for host, port in (os.getenv('BENCH_ADDRS') or ''):gmatch('([^%s:]+):(%d+)') do
  addrs[#addrs + 1] = { host = host, port = port }
end

--- Gives each thread its own random seed, and its own server when BENCH_ADDRS is set; call from
--- the script's setup(thread).
local threads = 0
function common.setup(thread)
  threads = threads + 1
  thread:set('thread_number', threads)
  if #addrs > 0 then
    local target = addrs[(threads - 1) % #addrs + 1]
    thread.addr = wrk.lookup(target.host, target.port)[1]
  end
end

--- Seeds this thread's generator and builds one request string per key with build(i).
function common.prepare(build)
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
  local requests = {}
  for i = 0, common.keys - 1 do
    requests[i + 1] = build(i)
  end
  return requests
end

--- One of the prepared requests, uniformly at random.
function common.pick(requests)
  return requests[math.random(1, #requests)]
end

return common
