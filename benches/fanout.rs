//! The main job: every workload of the chosen profile x every strategy, against the mock server
//! in a child process, timed by criterion.
//!
//! For each cell (`workload/strategy`): build the strategy (setup outside the timing), run a few
//! untimed batches that record resource costs and verify every outcome (the metrics pass, which
//! also warms connections), decide the sample count from the measured batch (or skip the cell,
//! with the reason, when it would blow the profile's budget), then let criterion time whole
//! batches with flat sampling. Every timed batch is verified too; a cell whose batches do not
//! verify is recorded as failed and its time is not reported as a result.
//!
//! `FANOUT_PROFILE=quick|standard|full` picks the workloads (standard by default);
//! `FANOUT_TARGET=http://HOST:PORT` uses a mock server started elsewhere. Criterion's own flags
//! (`--list`, `--test`, filters, baselines, `--output-format bencher`) work as usual.

use criterion::{Criterion, SamplingMode};
use fanout_bench::bench_args::BenchArgs;
use fanout_bench::calibrate::{self, Calibration};
use fanout_bench::plan::Decision;
use fanout_bench::record::{self, CellRecord, RunRecord, Status};
use fanout_bench::report::context::Context;
use fanout_bench::strategy::{self, Entry, Settings};
use fanout_bench::target::Target;
use fanout_bench::workload::{Request, Workload};
use fanout_bench::{metrics, profile, run, verify};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() -> ExitCode {
    fanout_bench::target::serve_if_child();
    match bench() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("fanout bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn bench() -> anyhow::Result<bool> {
    let args = BenchArgs::parse(std::env::args()).map_err(anyhow::Error::msg)?;
    // Before the server child starts, so it inherits the raised limit too.
    fanout_bench::limits::raise_open_files();
    let (profile_name, file) = profile::from_env()?;
    let target = Target::from_env()?;
    // Our own report draws the charts; criterion's per-benchmark plots would double the time of
    // a cheap cell. 20,000 bootstrap resamples keep the intervals stable at a fifth of the cost.
    let mut c = Criterion::default()
        .without_plots()
        .nresamples(20_000)
        .configure_from_args();
    let calibration = if args.measures() && !args.test {
        eprintln!(
            "fanout: calibrating the mock server at {} ...",
            target.base_url()
        );
        let plan = calibrate::Plan {
            capacity_time: Duration::from_secs(1),
            samples: 128,
            ..calibrate::Plan::default()
        };
        Some(calibrate::calibrate(&target, &plan)?)
    } else {
        None
    };
    let mut record = RunRecord {
        schema_version: record::SCHEMA_VERSION,
        profile: profile_name.clone(),
        server: target.kind().to_owned(),
        server_url: target.base_url(),
        started_unix: SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs(),
        context: Some(Context::of_this_machine(Path::new(env!(
            "CARGO_MANIFEST_DIR"
        )))),
        calibration,
        cells: Vec::new(),
    };
    let path = record::default_path();
    let sampling = &file.sampling;
    let entries = strategy::registry();
    let started = Instant::now();
    let mut all_verified = true;
    for w in &file.workload {
        let too_few_files =
            fanout_bench::limits::check_open_files(&w.name, w.requests, false).err();
        let requests = w.requests(&target.base_url());
        let mut group = c.benchmark_group(&w.name);
        group.sampling_mode(SamplingMode::Flat);
        for entry in &entries {
            let id = format!("{}/{}", w.name, entry.info.id);
            if !args.matches(&id) {
                continue;
            }
            if !args.measures() {
                group.bench_function(entry.info.id, |b| b.iter(|| ()));
                continue;
            }
            let mut cell = new_cell(w, entry, record.calibration.as_ref());
            // The previous cell's connections close before this one starts (bounded wait).
            target.wait_until_idle(16, Duration::from_secs(10))?;
            eprintln!("fanout: [{:>4.0} s] {id}", started.elapsed().as_secs_f64());
            let floor = Duration::from_nanos(cell.floor_ns);
            let threads = match entry.info.thread_per_request {
                true => fanout_bench::limits::check_threads(w.requests).err(),
                false => None,
            };
            if let Some(why) = &too_few_files {
                skip(&mut cell, &id, why.to_string());
            } else if let Some(why) = threads {
                skip(&mut cell, &id, why);
            } else if let Some(why) = sampling.before_running(floor).filter(|_| !args.test) {
                skip(&mut cell, &id, why);
            } else {
                match entry.build(&Settings::for_workload(w)) {
                    Err(e) => fail(&mut cell, &id, e.to_string()),
                    Ok(mut s) => {
                        let batches = if args.test {
                            1
                        } else {
                            sampling.metrics_batches
                        };
                        match metrics_pass(s.as_mut(), &requests, &target, batches, &mut cell) {
                            Err(why) => fail(&mut cell, &id, why),
                            Ok(batch) => match decide(&args, sampling, batch) {
                                Decision::Skip(why) => skip(&mut cell, &id, why),
                                Decision::Run {
                                    samples,
                                    measurement,
                                    warm_up,
                                } => {
                                    group
                                        .sample_size(samples)
                                        .measurement_time(measurement)
                                        .warm_up_time(warm_up);
                                    cell.samples = Some(samples);
                                    target.reset_stats()?;
                                    let failure =
                                        time_cell(&mut group, entry, s.as_mut(), &requests);
                                    let trouble = run::server_trouble(&target.stats()?);
                                    if let Some(why) = failure.or(trouble) {
                                        fail(&mut cell, &id, why);
                                    }
                                }
                            },
                        }
                    }
                }
            }
            all_verified &= cell.status != Status::Failed;
            record.cells.push(cell);
            record.save(&path)?;
        }
        group.finish();
    }
    c.final_summary();
    if args.measures() {
        let (ok, skipped, failed) = count(&record);
        eprintln!(
            "fanout: {ok} cells measured, {skipped} skipped, {failed} failed in {:.0} s; \
             record written to {}",
            started.elapsed().as_secs_f64(),
            path.display()
        );
        // The report of the cells this run measured goes beside the record; the committed
        // reference report in results/ is only ever written by `fanout report`.
        let out = path.with_file_name("report");
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        match fanout_bench::report::generate(
            &fanout_bench::report::Inputs::default(),
            &out,
            now,
            false,
        ) {
            Ok(_) => eprintln!(
                "fanout: report written to {}",
                out.join("README.md").display()
            ),
            Err(e) => eprintln!("fanout: the report could not be written: {e}"),
        }
    }
    Ok(all_verified)
}

/// `--test` runs every cell once whatever it costs; otherwise the sampling plan decides.
fn decide(args: &BenchArgs, sampling: &fanout_bench::plan::Sampling, batch: Duration) -> Decision {
    if args.test {
        return Decision::Run {
            samples: fanout_bench::plan::MIN_SAMPLES,
            measurement: Duration::from_secs(1),
            warm_up: Duration::from_millis(10),
        };
    }
    sampling.decide(batch)
}

fn new_cell(w: &Workload, entry: &Entry, calibration: Option<&Calibration>) -> CellRecord {
    let limit = entry.info.concurrency.limit(w);
    CellRecord {
        workload: w.name.clone(),
        strategy: entry.info.id.to_owned(),
        family: entry.info.family.as_str().to_owned(),
        mirrors: entry.info.mirrors.to_owned(),
        requests: w.requests,
        bytes: w.bytes,
        concurrency_limit: limit,
        floor_ns: w.floor(limit).as_nanos() as u64,
        calibrated_floor_ns: calibration.map(|c| c.floor(w, limit).as_nanos() as u64),
        status: Status::Ok,
        reason: None,
        samples: None,
        batches: Vec::new(),
    }
}

fn skip(cell: &mut CellRecord, id: &str, why: String) {
    eprintln!("fanout: skipped {id}: {why}");
    cell.status = Status::Skipped;
    cell.reason = Some(why);
}

fn fail(cell: &mut CellRecord, id: &str, why: String) {
    eprintln!("fanout: FAILED {id}: {why}");
    cell.status = Status::Failed;
    cell.reason = Some(why);
}

/// Untimed batches that record costs; returns the fastest batch's wall time if all verified.
fn metrics_pass(
    s: &mut dyn strategy::Strategy,
    requests: &[Request],
    target: &Target,
    batches: usize,
    cell: &mut CellRecord,
) -> Result<Duration, String> {
    let mut fastest = Duration::MAX;
    for _ in 0..batches {
        let (batch, m) = metrics::measure(s, requests, target).map_err(|e| e.to_string())?;
        cell.batches.push(m);
        if let Some(why) = batch.problem() {
            return Err(why);
        }
        fastest = fastest.min(batch.wall);
    }
    Ok(fastest)
}

/// Lets criterion time whole batches; returns why the cell failed, if a batch did not verify.
fn time_cell(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    entry: &Entry,
    s: &mut dyn strategy::Strategy,
    requests: &[Request],
) -> Option<String> {
    let expected: Vec<_> = requests.iter().map(|r| r.expected).collect();
    let mut failure = None;
    group.bench_function(entry.info.id, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let outcomes = s.run(requests);
                total += started.elapsed();
                if let Err(e) = verify(&expected, &outcomes) {
                    failure.get_or_insert_with(|| {
                        format!(
                            "a timed batch did not verify ({} errors): {e}",
                            run::errors(&outcomes)
                        )
                    });
                }
            }
            total
        })
    });
    failure
}

fn count(r: &RunRecord) -> (usize, usize, usize) {
    let n = |s| r.cells.iter().filter(|c| c.status == s).count();
    (n(Status::Ok), n(Status::Skipped), n(Status::Failed))
}
