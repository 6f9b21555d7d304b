//! The command line: every command and its arguments, as clap reads them (the help text is
//! the user's manual).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "gridvoice",
    version,
    about = "网格民声 — 代表履职终端（命令行）"
)]
pub(crate) struct Cli {
    /// The device store (SQLite file).
    #[arg(
        long,
        env = "GRIDVOICE_STORE",
        default_value = "gridvoice.sqlite",
        global = true
    )]
    pub(crate) store: PathBuf,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Bind this store to a delegate (入站入网入格) with a territory.
    Init {
        /// The delegate's code, e.g. D01.
        #[arg(long)]
        delegate: String,
        /// A territory JSON file.
        #[arg(long, required_unless_present = "demo")]
        territory: Option<PathBuf>,
        /// Use the built-in demo territory instead of a file.
        #[arg(long)]
        demo: bool,
    },
    /// Voter-contact visits (联系选民活动).
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Record a resident's demand (记录诉求).
    Record(RecordArgs),
    /// List demands, newest first.
    List(ListArgs),
    /// Search demand texts (Chinese substrings work).
    Search {
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Show one demand with its history.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Attach a resident's contact to a demand (needs consent).
    Contact {
        demand: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        /// The resident agreed (同意).
        #[arg(long)]
        consent: bool,
    },
    /// Export every demand.
    Export {
        /// As JSON (one array of demand views).
        #[arg(long)]
        json: bool,
    },
    /// Send one raw request of the vocabulary (JSON) and print the JSON response.
    Request { json: String },
    /// Recompute every projection from the documents and compact them.
    Rebuild,
    /// Start this device over (重置设备): wipe every record, photo and credential it holds, so it
    /// can be enrolled again — at another server too. Refused while the server has not confirmed
    /// everything, unless `--discard-unsent`.
    Reset {
        /// Confirms the wipe.
        #[arg(long)]
        yes: bool,
        /// Throw away records and photos the server has not confirmed.
        #[arg(long)]
        discard_unsent: bool,
    },
    /// Enrol this device with a sync server (绑定设备): trades a one-time code for a credential.
    Enrol {
        /// The server's base URL, e.g. https://sync.example.cn
        #[arg(long)]
        server: String,
        /// The one-time enrolment code from the delegate office.
        #[arg(long)]
        code: String,
        /// How this device is listed on the server.
        #[arg(long, default_value = "gridvoice-cli")]
        name: String,
    },
    /// Sync every document with the server (同步); retries with backoff while it is unreachable.
    Sync {
        /// Another server address than the enrolled one.
        #[arg(long)]
        server: Option<String>,
        /// Give up after this many attempts.
        #[arg(long, default_value_t = 5)]
        attempts: u32,
    },
    /// Records the server has not yet confirmed (未同步的记录).
    Pending {
        #[arg(long)]
        json: bool,
    },
    /// Serve the app's UI and this device to a browser on localhost (the device bridge): the
    /// built UI from --dist and `POST /device/<command>`; syncs in the background.
    Ui {
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// The built UI (scripts/build-ui writes dist/).
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Seconds between background syncs.
        #[arg(long, default_value_t = 60)]
        sync_every: u64,
    },
    /// Test support: record demands forever, printing `ACK <id>` after each durable commit.
    #[command(hide = true)]
    CaptureLoop {
        #[arg(long)]
        grid: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum VisitCommand {
    /// Start a visit in a grid.
    Start {
        #[arg(long)]
        grid: String,
        #[arg(long)]
        place: String,
        #[arg(long)]
        topic: String,
        /// Other delegates who come along.
        #[arg(long = "with")]
        with: Vec<String>,
    },
    /// End a visit.
    End {
        visit: String,
        /// How many residents attended.
        #[arg(long)]
        attendance: u32,
    },
    /// List visits.
    List,
}

#[derive(Args, Debug)]
pub(crate) struct RecordArgs {
    /// What the resident asks.
    #[arg(long)]
    pub(crate) text: String,
    /// Category code or Chinese label (e.g. 电梯维保).
    #[arg(long)]
    pub(crate) category: String,
    /// The grid; without it the grid is found from --lat/--lon.
    #[arg(long)]
    pub(crate) grid: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) lat: Option<f64>,
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) lon: Option<f64>,
    /// Accuracy in metres.
    #[arg(long)]
    pub(crate) accuracy: Option<f64>,
    #[arg(long, value_enum, default_value = "gps")]
    pub(crate) source: Source,
    #[arg(long)]
    pub(crate) visit: Option<String>,
    #[arg(long)]
    pub(crate) contact_name: Option<String>,
    #[arg(long)]
    pub(crate) contact_phone: Option<String>,
    /// The resident agreed to leave a contact.
    #[arg(long)]
    pub(crate) consent: bool,
    /// A photo to attach (JPEG, PNG or WebP, at most 8 MB); repeat for more (at most 4).
    #[arg(long)]
    pub(crate) photo: Vec<PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Source {
    Gps,
    Manual,
    GridPick,
}

#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    #[arg(long)]
    pub(crate) grid: Option<String>,
    #[arg(long)]
    pub(crate) status: Option<String>,
    #[arg(long)]
    pub(crate) category: Option<String>,
    /// YYYY-MM-DD (inclusive).
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// YYYY-MM-DD (inclusive).
    #[arg(long)]
    pub(crate) to: Option<String>,
    #[arg(long)]
    pub(crate) visit: Option<String>,
    /// Only demands this delegate recorded (a delegate id such as D02).
    #[arg(long)]
    pub(crate) by: Option<String>,
    /// Only demands whose decisions contradict each other (two heads offline, head and office).
    #[arg(long)]
    pub(crate) needs_decision: bool,
    #[arg(long)]
    pub(crate) limit: Option<u32>,
    #[arg(long)]
    pub(crate) offset: Option<u32>,
    #[arg(long)]
    pub(crate) json: bool,
}
