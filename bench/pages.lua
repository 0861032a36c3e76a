-- wrk script for bench/pages_bench.py: each request takes the next signed-in session.
-- args: <path template with {loan}> <sessions file: "session_key loan_id" per line>
local sessions = {}
local i = 0
local csrf = "benchcsrftoken0123456789abcdefgh"

function init(args)
  path_template = args[1]
  for line in io.lines(args[2]) do
    local key, loan = line:match("^(%S+)%s+(%S+)$")
    if key then sessions[#sessions + 1] = {key = key, loan = loan} end
  end
  i = math.random(#sessions) - 1
end

function request()
  i = i % #sessions + 1
  local s = sessions[i]
  local path = path_template:gsub("{loan}", s.loan)
  return wrk.format("GET", path, {
    ["Cookie"] = "sessionid=" .. s.key .. "; ismp_signed_in=1; csrftoken=" .. csrf,
  })
end

