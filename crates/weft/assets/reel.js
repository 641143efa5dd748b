// The reel of a search (/search/reel): plays every moment of the list back to back in one
// player, each from its data-from to its data-to second, then the next one, of the same
// journal or of the next. A video plays in the video element, a sound recording in the
// audio element; each carries its journal's transcript as captions. Previous and next
// buttons, a click on a moment of the list, and the keys j (previous), k (play or pause)
// and l (next) move through it. Without this script the list's links open each entry at
// its moment.

const links = Array.from(document.querySelectorAll("#reel-list a.reel-moment"));
const video = document.getElementById("reel-video");
const audio = document.getElementById("reel-audio");

if (links.length > 0 && video && audio) {
  const players = {
    video: { element: video, wrap: document.getElementById("reel-video-wrap") },
    audio: { element: audio, wrap: document.getElementById("reel-audio-wrap") },
  };
  const count = document.getElementById("reel-count");
  const title = document.getElementById("reel-current-title");
  const previous = document.getElementById("reel-prev");
  const next = document.getElementById("reel-next");
  const play = document.getElementById("reel-play");
  let index = 0;
  let player = players[links[0].dataset.media] || players.video;
  // Whether the current clip was seeked to: until then, the time is the previous clip's.
  let armed = false;

  const clip = (i) => {
    const data = links[i].dataset;
    return {
      media: data.media === "audio" ? "audio" : "video",
      src: data.src,
      captions: data.captions,
      from: Number(data.from),
      to: Number(data.to),
      title: data.title,
    };
  };

  // Gives `element` the recording `src` and its captions, unless it has them already.
  const setSource = (element, src, captions) => {
    if (element.dataset.loaded === src) return false;
    for (const old of element.querySelectorAll("track")) old.remove();
    const track = document.createElement("track");
    track.kind = "captions";
    track.label = "Transcript";
    track.src = captions;
    track.default = true;
    element.prepend(track);
    element.src = src;
    element.dataset.loaded = src;
    // A track added after the element was set up is not shown by itself.
    track.track.mode = "showing";
    return true;
  };

  // Plays, or says how to start when the browser will not start a recording by itself.
  const start = async (element) => {
    try {
      await element.play();
    } catch (error) {
      if (error.name === "NotAllowedError") count.textContent += " · press Play to start";
    }
  };

  const show = (i) => {
    const current = clip(i);
    count.textContent = `Moment ${i + 1} of ${links.length}`;
    title.textContent = current.title;
    links.forEach((link, n) => {
      if (n === i) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    });
    links[i].scrollIntoView({ block: "nearest" });
    previous.disabled = i === 0;
    next.disabled = i === links.length - 1;
  };

  // Makes moment `i` the current one, from its start; plays it when `playing`.
  const go = (i, playing) => {
    index = i;
    const current = clip(i);
    const chosen = players[current.media];
    if (chosen !== player) {
      player.element.pause();
      player.wrap.hidden = true;
      player = chosen;
    }
    player.wrap.hidden = false;
    show(i);
    armed = false;
    const element = player.element;
    const seek = () => {
      element.currentTime = current.from;
      armed = true;
      if (playing) start(element);
    };
    if (setSource(element, current.src, current.captions) || element.readyState < 1) {
      element.addEventListener("loadedmetadata", seek, { once: true });
    } else {
      seek();
    }
  };

  const advance = () => {
    if (index + 1 < links.length) go(index + 1, true);
    else player.element.pause();
  };

  for (const { element } of Object.values(players)) {
    element.addEventListener("timeupdate", () => {
      if (element !== player.element || !armed || element.seeking) return;
      if (element.currentTime >= clip(index).to) advance();
    });
    element.addEventListener("ended", () => {
      if (element === player.element && armed) advance();
    });
    element.addEventListener("play", () => { play.textContent = "Pause"; });
    element.addEventListener("pause", () => { play.textContent = "Play"; });
  }

  const toggle = () => {
    const element = player.element;
    if (!element.paused) {
      element.pause();
      return;
    }
    const { from, to } = clip(index);
    if (element.currentTime < from - 0.5 || element.currentTime >= to) go(index, true);
    else start(element);
  };

  previous.addEventListener("click", () => { if (index > 0) go(index - 1, true); });
  next.addEventListener("click", () => { if (index + 1 < links.length) go(index + 1, true); });
  play.addEventListener("click", toggle);
  links.forEach((link, n) => {
    link.addEventListener("click", (event) => {
      // A click with a modifier opens the entry, as a link does.
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      go(n, true);
    });
  });
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key === "j" && index > 0) go(index - 1, true);
    else if (event.key === "l" && index + 1 < links.length) go(index + 1, true);
    else if (event.key === "k") toggle();
    else return;
    event.preventDefault();
  });

  go(0, true);
}
