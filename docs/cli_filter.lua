-- cli_filter.lua: refuse a job whose mpift configuration is wrong, at
-- submission, with mpift's own message, before the job queues.
--
-- Slurm's cli_filter/lua plugin runs this file in salloc, sbatch and srun
-- on the submitting host, before anything reaches slurmctld.  To use it (docs/slurm.md):
--   slurm.conf:  CliFilterPlugins=cli_filter/lua
--   this file:   cli_filter.lua in the folder of slurm.conf
-- with mpift's SPANK plugin enabled (plugstack.conf), which gives srun
-- the --mpift-stage=FILE and --mpift-out=FILE options: a bare srun is
-- refused before its job exists, an srun inside sbatch or salloc before
-- its step starts.
--
-- For each of those options it runs `mpift-stage --config FILE --check`
-- (no MPI job: it reads and validates the file) and refuses the
-- submission when that fails, printing what mpift-stage said (the file,
-- the line, the key, the cause).  A job without the options is untouched.

-- Where the site installed the launcher (Debian's package: /usr/bin).
local mpift_stage = "/usr/bin/mpift-stage"
-- The SPANK plugin's name (SPANK_PLUGIN(mpift, 1)) and options it checks.
local plugin = "mpift"
local checked = { "mpift-stage", "mpift-out" }

-- A single-quoted shell word: no file name can break out of it.
local function quote(s)
    return "'" .. string.gsub(s, "'", "'\\''") .. "'"
end

-- Runs the check; returns its exit status and what it printed.  Lua 5.1
-- (Debian's Slurm) gives no exit status from a pipe, so the shell
-- appends it on a line of its own.
local function check(file)
    local p = io.popen(quote(mpift_stage) .. " --config " .. quote(file) ..
                       " --check 2>&1; echo \"mpift-check-status:$?\"")
    if p == nil then
        return 127, "cannot run " .. mpift_stage
    end
    local out = p:read("*a")
    p:close()
    local status = tonumber(string.match(out, "mpift%-check%-status:(%d+)%s*$")) or 127
    out = string.gsub(out, "mpift%-check%-status:%d+%s*$", "")
    return status, out
end

function slurm_cli_setup_defaults(options, early_pass)
    return slurm.SUCCESS
end

function slurm_cli_pre_submit(options, pack_offset)
    local spank = options["spank"]
    local mine = spank and spank[plugin]
    if mine == nil then
        return slurm.SUCCESS
    end
    for _, opt in ipairs(checked) do
        local file = mine[opt]
        if file ~= nil and file ~= "set" then
            local status, out = check(file)
            if status ~= 0 then
                for line in string.gmatch(out, "[^\n]+") do
                    slurm.log_error("%s", line)
                end
                slurm.log_error("mpift: --%s=%s does not pass `mpift-stage --check` (exit %d): the job was not submitted",
                                opt, file, status)
                return slurm.ERROR
            end
        end
    end
    return slurm.SUCCESS
end

function slurm_cli_post_submit(offset, job_id, step_id)
    return slurm.SUCCESS
end
