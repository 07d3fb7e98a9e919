from workdata.core.inbox.planning import PendingFile, discover_pending, plan_runs
from workdata.core.inbox.survey import InboxFile


def pending(domain: str, key: str, sha: str = "s", size: int = 1) -> PendingFile:
    return PendingFile(InboxFile(domain, key, None, size, 1), sha + key)


def test_new_files_are_appended_and_batched():
    new_keys, plans = plan_runs([pending("d", "b"), pending("d", "c"), pending("d", "a")], {"d": ["x"]}, 2)
    assert new_keys == {"d": ["a", "b", "c"]}
    assert [p.keys for p in plans] == [("a", "b"), ("c",)]


def test_runs_are_capped_by_bytes_as_well_as_by_files():
    files = [pending("d", "a", size=300), pending("d", "b", size=300), pending("d", "c", size=2000)]
    _, plans = plan_runs(files, {}, 100, max_bytes=700)
    assert [p.keys for p in plans] == [("a", "b"), ("c",)]


def test_changed_known_file_gets_its_own_range_and_stable_run_key():
    _, plans = plan_runs([pending("d", "k2"), pending("d", "new")], {"d": ["k1", "k2", "k3"]}, 100)
    assert [p.keys for p in plans] == [("k2",), ("new",)]
    _, again = plan_runs([pending("d", "k2"), pending("d", "new")], {"d": ["k1", "k2", "k3"]}, 100)
    assert [p.run_key for p in plans] == [p.run_key for p in again]
    _, changed = plan_runs([pending("d", "k2", "other")], {"d": ["k1", "k2", "k3"]}, 100)
    assert changed[0].run_key != plans[0].run_key


def test_discover_skips_processed_and_in_flight_content(settings):
    domain_dir = settings.inbox_dir / "annuity_income"
    domain_dir.mkdir(parents=True)
    for name in ("a.csv", "b.csv", "c.csv"):
        (domain_dir / name).write_text(name)
    from workdata.domains import DOMAINS

    hashes, first, _ = discover_pending(settings.inbox_dir, DOMAINS.values(), {})
    assert [p.file.key for p in first] == ["a.csv", "b.csv", "c.csv"]
    processed = {("annuity_income", "a.csv"): hashes["annuity_income/a.csv"][1]}
    in_flight = {"annuity_income/b.csv": hashes["annuity_income/b.csv"][1]}
    _, rest, _ = discover_pending(settings.inbox_dir, DOMAINS.values(), processed, hashes, in_flight)
    assert [p.file.key for p in rest] == ["c.csv"]
