// GAN Studio's drawing canvas (a Streamlit custom component, v2): a square canvas as wide as its column, drawn on
// with a mouse, a pen or a finger (Pointer Events), with labelled Undo, Redo and Clear buttons and a row of example
// thumbnails. The drawing is its strokes and the example they are drawn on (or none); every change to it, an
// example picked or Clear included, is one step that Undo takes back. It is sent to Python when a stroke ends, as
// {version, strokes, example}; each stroke is
// {t: "pen" | "eraser", w: width, p: [[x, y], ...]} in a 512 x 512 logical square, so the drawing does not depend
// on the size it was drawn at. Python renders them (models.sketch.render_strokes) and sends them back in `data`,
// so a drawing survives switching pages, subjects and tools.
const SIZE = 512;
const STATES = new Map(); // per component instance: survives re-renders while the page lives

function newState() {
  return { strokes: [], example: null, undo: [], redo: [], version: -1, current: null, background: null, bgUrl: null };
}

export default function (component) {
  const { data, setStateValue, parentElement, key } = component;
  let root = parentElement.querySelector(".gs-draw");
  if (!root) {
    root = document.createElement("div");
    root.className = "gs-draw";
    root.innerHTML = `
      <div class="gs-tools" role="toolbar" aria-label="Drawing tools">
        <button type="button" data-act="undo" aria-label="Undo the last stroke">&#x21B6; Undo</button>
        <button type="button" data-act="redo" aria-label="Redo">&#x21B7; Redo</button>
        <button type="button" data-act="clear" aria-label="Clear the drawing">&#x2715; Clear</button>
      </div>
      <canvas class="gs-canvas" aria-label="Drawing canvas" role="img"></canvas>
      <div class="gs-examples" aria-label="Examples to start from"></div>`;
    parentElement.appendChild(root);
  }
  const canvas = root.querySelector("canvas");
  const ctx = canvas.getContext("2d");
  const state = STATES.get(key) || newState();
  STATES.set(key, state);

  const snapshot = () => ({ strokes: state.strokes, example: state.example });
  // Python's copy wins when it is newer (a random example, or the drawing coming back after the component was
  // away); replacing a drawing on screen is a step Undo takes back
  if (data.version > state.version) {
    if (state.version >= 0 && (state.strokes.length || state.example)) {
      state.undo.push(snapshot());
      state.redo = [];
    }
    state.strokes = data.strokes || [];
    state.example = data.example || null;
    state.version = data.version;
  }
  state.tool = data.tool || "pen";
  state.width = data.width || 8;
  state.line = data.line || false;

  function draw() {
    const side = canvas.clientWidth || SIZE;
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(side * ratio)) {
      canvas.width = Math.round(side * ratio);
      canvas.height = Math.round(side * ratio);
    }
    const s = canvas.width / SIZE;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (state.background && state.background.complete) {
      ctx.drawImage(state.background, 0, 0, canvas.width, canvas.height);
    }
    ctx.setTransform(s, 0, 0, s, 0, 0);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    const all = state.current ? state.strokes.concat([state.current]) : state.strokes;
    for (const stroke of all) {
      ctx.strokeStyle = stroke.t === "eraser" ? "#fff" : "#000";
      ctx.fillStyle = ctx.strokeStyle;
      ctx.lineWidth = stroke.w;
      const p = stroke.p;
      if (p.length === 1) {
        ctx.beginPath();
        ctx.arc(p[0][0], p[0][1], stroke.w / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(p[0][0], p[0][1]);
      for (let i = 1; i < p.length; i++) ctx.lineTo(p[i][0], p[i][1]);
      ctx.stroke();
    }
    for (const b of root.querySelectorAll(".gs-tools button")) {
      const act = b.dataset.act;
      b.disabled = act === "undo" ? !state.undo.length : act === "redo" ? !state.redo.length
        : !state.strokes.length && !state.example;
    }
  }

  function send() {
    state.version += 1;
    setStateValue("drawing", { version: state.version, strokes: state.strokes, example: state.example });
  }

  function show(drawing) {
    state.strokes = drawing.strokes;
    state.example = drawing.example;
    loadBackground();
    draw();
  }

  function commit(drawing) {
    state.undo.push(snapshot());
    state.redo = [];
    show(drawing);
    send();
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * SIZE;
    const y = ((event.clientY - box.top) / box.height) * SIZE;
    return [Math.round(Math.min(SIZE, Math.max(0, x)) * 10) / 10, Math.round(Math.min(SIZE, Math.max(0, y)) * 10) / 10];
  }

  canvas.onpointerdown = (event) => {
    if (event.button > 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    state.current = { t: state.tool, w: state.width, p: [point(event)] };
    draw();
  };
  canvas.onpointermove = (event) => {
    if (!state.current) return;
    event.preventDefault();
    const p = point(event);
    if (state.line) {
      state.current.p = [state.current.p[0], p];
    } else {
      const last = state.current.p[state.current.p.length - 1];
      if (Math.hypot(p[0] - last[0], p[1] - last[1]) < 1.5) return;
      state.current.p.push(p);
    }
    draw();
  };
  canvas.onpointerup = canvas.onpointercancel = (event) => {
    if (!state.current) return;
    event.preventDefault();
    const stroke = state.current;
    state.current = null;
    commit({ strokes: state.strokes.concat([stroke]), example: state.example });
  };

  root.querySelector(".gs-tools").onclick = (event) => {
    const act = event.target.closest("button")?.dataset.act;
    if (act === "undo" && state.undo.length) {
      state.redo.push(snapshot());
      show(state.undo.pop());
    } else if (act === "redo" && state.redo.length) {
      state.undo.push(snapshot());
      show(state.redo.pop());
    } else if (act === "clear" && (state.strokes.length || state.example)) {
      commit({ strokes: [], example: null }); // always a blank canvas, the example gone too
      return;
    } else {
      return;
    }
    send();
  };

  const strip = root.querySelector(".gs-examples");
  const names = (data.examples || []).map((e) => e.name).join(",");
  if (strip.dataset.names !== names) {
    strip.dataset.names = names;
    strip.innerHTML = "";
    for (const example of data.examples || []) {
      const b = document.createElement("button");
      b.type = "button";
      b.title = b.ariaLabel = `Start from ${example.label}`;
      b.innerHTML = `<img alt="${example.label}" src="${example.url}">`;
      b.onclick = () => commit({ strokes: [], example: example.name }); // Undo brings back what was there
      strip.appendChild(b);
    }
  }
  function loadBackground() {
    const example = (data.examples || []).find((e) => e.name === state.example);
    const url = example ? example.url : null;
    if (state.bgUrl !== url) {
      state.bgUrl = url;
      state.background = null;
      if (url) {
        const img = new Image();
        img.onload = draw;
        img.src = url;
        state.background = img;
      }
    }
    for (const b of strip.querySelectorAll("button")) {
      b.classList.toggle("gs-on", !!example && b.title === `Start from ${example.label}`);
    }
  }
  loadBackground();
  const observer = new ResizeObserver(draw);
  observer.observe(canvas);
  draw();
  return () => observer.disconnect();
}
