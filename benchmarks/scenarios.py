"""What a benchmark run does: the scenarios of `make bench`, their network shaping and their targets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

MB = 1_000_000  # sizes and bandwidths are decimal: 20 MB at 20 MB/s take exactly one second


@dataclass(frozen=True)
class Link:
    """The shaping of one network path: latency added once per request, bandwidth per connection."""

    latency: float = 0.0  # seconds
    bandwidth: float | None = None  # bytes per second; None: unlimited

    def as_json(self) -> dict:
        return {"latency_s": self.latency, "bandwidth_bytes_per_s": self.bandwidth}

    def transfer(self, size: int) -> float:
        """Seconds to move `size` bytes at this bandwidth (0 when unlimited)."""
        return size / self.bandwidth if self.bandwidth else 0.0


UNSHAPED = Link()


@dataclass(frozen=True)
class Network:
    """Shaping of the three paths the product uses: TikTok pages and short links, the CDN, Telegram."""

    page: Link = UNSHAPED
    cdn: Link = UNSHAPED
    telegram: Link = UNSHAPED

    def as_json(self) -> dict:
        return {"page": self.page.as_json(), "cdn": self.cdn.as_json(), "telegram": self.telegram.as_json()}

    @property
    def shaped(self) -> bool:
        return self != Network()


@dataclass(frozen=True)
class Scenario:
    """N users, each sending M distinct links one after the other (the next once the previous one is
    delivered); then the same links again, which the media cache answers."""

    name: str
    description: str
    kind: str = "video"  # "video", "slideshow", "mix" (every third link a slideshow), or one with its own steps:
    # "render", "guest", "ingest" (their modules)
    users: int = 20  # render: users rendering at once while others' cache hits are measured
    links: int = 1
    video_bytes: int = 20 * MB
    slideshow_images: int = 4  # render: pictures per slideshow
    network: Network = field(default_factory=Network)
    short_links: bool = True  # vm.tiktok.com links, as users paste them (resolve costs one page request)
    # render only
    picture_size: tuple[int, int] = (1080, 1440)
    sound_seconds: float = 30.0
    runs: int = 3  # standalone renders of the product and of the ffmpeg baseline (medians)
    hits: int = 20  # cache hits measured while idle; during the renders as many as fit
    records: int = 1000  # ingest: records in the export (users: the concurrency of both fetchers)

    @property
    def requests(self) -> int:
        return self.users * self.links

    def as_json(self) -> dict:
        if self.kind == "ingest":
            return {"kind": self.kind, "records": self.records, "concurrency": self.users,
                    "video_bytes": self.video_bytes, "network": self.network.as_json()}
        if self.kind == "render":
            return {"kind": self.kind, "renders_at_once": self.users, "pictures": self.slideshow_images,
                    "picture_size": list(self.picture_size), "sound_seconds": self.sound_seconds,
                    "standalone_runs": self.runs, "idle_hits": self.hits, "short_links": self.short_links,
                    "network": self.network.as_json()}
        return {
            "kind": self.kind, "users": self.users, "links_per_user": self.links,
            "video_bytes": self.video_bytes if self.kind in ("video", "mix") else None,
            "slideshow_images": self.slideshow_images if self.kind in ("slideshow", "mix") else None,
            "short_links": self.short_links, "network": self.network.as_json(),
        }


SHAPED = Network(page=Link(0.05, 20 * MB), cdn=Link(0.05, 20 * MB), telegram=Link(0.05, 20 * MB))

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("mix", "10 users x 3 links (a 0.5 MB video, another, a 3-picture slideshow), 50 ms + 20 MB/s on "
                 "pages, CDN and Telegram: the headline", kind="mix", users=10, links=3, video_bytes=MB // 2,
                 slideshow_images=3, network=SHAPED),
        Scenario("memory", "20 users x 1 link, 40 MB videos, no shaping", video_bytes=40 * MB),
        Scenario("memory-baseline", "20 users x 1 link, 1 MB videos, no shaping", video_bytes=1 * MB),
        Scenario("latency", "20 users x 1 link, 20 MB videos, 50 ms + 20 MB/s on pages, CDN and Telegram",
                 video_bytes=20 * MB, network=SHAPED),
        Scenario("latency-1user", "1 user x 3 links, 20 MB videos, 50 ms + 20 MB/s everywhere: no contention",
                 users=1, links=3, video_bytes=20 * MB, network=SHAPED),
        Scenario("slideshow", "20 users x 1 link, 4-image slideshows, 50 ms + 20 MB/s everywhere",
                 kind="slideshow", slideshow_images=4, network=SHAPED),
        # 8 x 2 new items stay under the 20 messages a minute Telegram allows in one chat: the storage channel
        Scenario("guest", "8 users x 2 links by guest query (@bot link in a chat the bot is not in), 0.5 MB videos, "
                 "50 ms + 20 MB/s everywhere", kind="guest", users=8, links=2, video_bytes=MB // 2, network=SHAPED),
        Scenario("ingest", "fetch --from a 1000-record export (10% duplicates, 5% dead, a third of the URLs expired), "
                 "0.2 MB videos, 8 at once, 50 ms + 20 MB/s on pages and CDN; against a plain bounded streamer",
                 kind="ingest", users=8, records=1000, video_bytes=200_000, network=SHAPED),
        Scenario("render", "a 10-picture 1080x1440 slideshow with a 30 s sound as one video: the product's render "
                 "and the ffmpeg command line, 3 runs each; cache hits while 3 users' renders run, no shaping",
                 kind="render", users=3, slideshow_images=10),
    )
}
DEFAULT_SCENARIOS = tuple(SCENARIOS)


def override(scenario: Scenario, **changes: object) -> Scenario:
    """The scenario with the given fields replaced (None values are ignored) and its description updated."""
    changes = {key: value for key, value in changes.items() if value is not None}
    if not changes:
        return scenario
    changed = dataclasses.replace(scenario, **changes)
    return dataclasses.replace(changed, description=describe(changed))


def describe(scenario: Scenario) -> str:
    if scenario.kind == "render":
        width, height = scenario.picture_size
        return (f"a {scenario.slideshow_images}-picture {width}x{height} slideshow with a {scenario.sound_seconds:g} s "
                f"sound as one video: the product's render and the ffmpeg command line, {scenario.runs} run(s) each; "
                f"cache hits while {scenario.users} users' renders run, {describe_network(scenario.network)}")
    if scenario.kind == "ingest":
        return (f"fetch --from a {scenario.records}-record export (10% duplicates, 5% dead, a third of the URLs "
                f"expired), {scenario.video_bytes / MB:g} MB videos, {scenario.users} at once, "
                f"{describe_network(scenario.network)}; against a plain bounded streamer")
    what = {"video": f"{scenario.video_bytes / MB:g} MB videos",
            "mix": f"each a {scenario.video_bytes / MB:g} MB video, another, "
                   f"a {scenario.slideshow_images}-image slideshow",
            }.get(scenario.kind, f"{scenario.slideshow_images}-image slideshows")
    return f"{scenario.users} users x {scenario.links} link(s), {what}, {describe_network(scenario.network)}"


def describe_network(network: Network) -> str:
    if not network.shaped:
        return "no shaping"
    parts = []
    for name in ("page", "cdn", "telegram"):
        link: Link = getattr(network, name)
        bandwidth = f"{link.bandwidth / MB:g} MB/s" if link.bandwidth else "unlimited"
        parts.append(f"{name} {link.latency * 1000:g} ms/{bandwidth}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- targets (issue item 4)

MEMORY_GROWTH_LIMIT = 100 * MB  # 20 concurrent 40 MB videos: peak RSS over idle
MEMORY_SIZE_EFFECT_LIMIT = 30 * MB  # the same run with 1 MB videos differs by less than this
LATENCY_RATIO_LIMIT = 1.2  # p50 of a 20 MB video over the shaped network's lower bound
HIT_CPU_LIMIT = 0.005  # CPU seconds per cache hit
RENDER_TIME_RATIO_LIMIT = 1.3  # the product's render time over the ffmpeg command line's, same plan
RENDER_GROWTH_LIMIT = 150 * MB  # peak RSS of the rendering process over its RSS right before the render
RENDER_HIT_RATIO_LIMIT = 2.0  # p50 of a cache hit during renders over its idle p50
INGEST_RATIO_LIMIT = 0.9  # the product's items/s over the plain streamer's, on the items both can do
INGEST_GROWTH_LIMIT = 100 * MB  # peak RSS of fetch's process tree over its RSS once started
