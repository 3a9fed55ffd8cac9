"""The result of a stage-in or stage-out, as libmpift keeps it
(mpift_result and mpift_result_json in mpift.h: the --report JSON, made
in memory; docs/report.md): the summary's counts, per-node figures and
every copy that did not land, with the reason."""
import collections

# One node of the run: its number, host, ranks and what they did.
Node = collections.namedtuple("Node", "node host ranks copies_written unchanged failed bytes_written seconds")

# One copy that did not land: the file (relative path), the rank and host
# that should have it (stage-in) or held it (stage-out), its status
# ("failed", "not sent", "clash") and the reason.
Failure = collections.namedtuple("Failure", "path rank host status error")

_LANDED = ("written", "unchanged", "cached")


def _copies(entry):
    """A report file entry's copies: a stage-in entry lists them, a
    stage-out entry is one copy itself."""
    return entry.get("copies", [entry])


class Result(object):
    """What one stage-in or stage-out did (the same object on every rank).

    mode              "stage-in" or "stage-out"
    ok                True when every copy landed
    exit_code         mpift-stage's exit status for the run (0 or 1)
    seconds           the run's time
    job               the job id (%j)
    files, bytes      stage-in: files and bytes planned (None for stage-out)
    copies_written, unchanged, failed, bytes_written
                      the summary's counts over all nodes
    nodes             [Node(node, host, ranks, copies_written, unchanged,
                       failed, bytes_written, seconds), ...]
    failures          [Failure(path, rank, host, status, error), ...]
    wire_bytes        what the files' chunks took on one link
    hole_bytes        what crossed as hole extents (no data sent)
    resumed_bytes, delta_saved_bytes
                      stage-in: bytes the writers took from a killed run's
                      temporary, and from the older version they held
    folders_not_read  source folders that could not be listed
    cache_bytes       stage-in: bytes of the copies placed from the nodes'
                      caches (cache.dir), not fetched
    cache_discarded   stage-in: cache entries that no longer verified,
                      discarded (their files were fetched)
    ld_library_path   stage-in with libs = true: {program: the LD_LIBRARY_PATH
                      that runs it (its PROGRAM.libs folder)}; {} otherwise
    report            the whole report as parsed JSON (a dict)
    """

    def __init__(self, report, totals=None):
        # The report's totals; the library's struct (mpift_result) where
        # both say the same, so the two cannot drift apart unnoticed.
        if totals is not None:
            kept = report.get("totals", {})
            for k in ("copies_written", "unchanged", "failed", "bytes_written", "wire_bytes"):
                if kept.get(k, getattr(totals, k)) != getattr(totals, k):
                    raise ValueError("mpift: the report's %s (%s) is not mpift_result's (%s)"
                                     % (k, kept.get(k), getattr(totals, k)))
        totals = report.get("totals", {})
        self.report = report
        self.mode = report.get("mode")
        self.ok = report.get("status") == "ok"
        self.exit_code = report.get("exit_code")
        self.seconds = report.get("seconds")
        self.job = report.get("job")
        self.files = totals.get("files")
        self.bytes = totals.get("bytes")
        self.copies_written = totals.get("copies_written", 0)
        self.unchanged = totals.get("unchanged", 0)
        self.failed = totals.get("failed", 0)
        self.bytes_written = totals.get("bytes_written", 0)
        self.wire_bytes = totals.get("wire_bytes", 0)
        self.hole_bytes = totals.get("hole_bytes", 0)
        self.resumed_bytes = totals.get("resumed_bytes", 0)
        self.delta_saved_bytes = totals.get("delta_saved_bytes", 0)
        self.folders_not_read = totals.get("folders_not_read", 0)
        self.cache_bytes = totals.get("cache_bytes", 0)
        self.cache_discarded = totals.get("cache_discarded", 0)
        self.nodes = [Node(n["node"], n["host"], n["ranks"], n["copies_written"], n["unchanged"], n["failed"],
                           n["bytes_written"], n["seconds"]) for n in report.get("nodes", [])]
        self.failures = [Failure(f["path"], c.get("rank"), c.get("host"), c.get("status"), c.get("error", ""))
                         for f in report.get("files", []) for c in _copies(f)
                         if c.get("status") not in _LANDED]
        self.ld_library_path = dict((l["program"], l["ld_library_path"]) for l in report.get("libraries", []))

    def __repr__(self):
        return ("<mpift.Result %s: %d written, %d unchanged, %d failed on %d node(s), %.3f s>"
                % (self.mode, self.copies_written, self.unchanged, self.failed, len(self.nodes),
                   self.seconds or 0.0))
