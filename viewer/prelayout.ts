// Lays out the diagrams the viewer shows first (each profile's source and destination, default
// regions) and the channel ahead of time, so the page draws them at once; prints them as JSON. Run by the Vite
// plugin in vite.config.ts on build and dev start (and when machines/ changes). The page checks
// each against the live model (signature) and lays out anew in a worker whatever does not match.
import ElkModule from 'elkjs/lib/elk.bundled.js';
import { elkConstructor } from '../diagrams/layout.ts';
import { PROFILES } from '../machines/index.ts';
import { ANY_PROFILE, channelDiagram, DEFAULT_REGIONS, sideDiagram } from '../diagrams/charts.ts';
import { layoutDiagram, layoutKey, monoMeasure, serializeLayout, type LayoutData } from '../diagrams/layout.ts';

const ELK = elkConstructor(ElkModule);
const elk = new ELK();
const out: Record<string, LayoutData> = {};
for (const p of PROFILES)
  for (const side of ['source', 'destination'] as const) {
    const d = sideDiagram(p, side, DEFAULT_REGIONS);
    out[layoutKey(p.name, d.id, DEFAULT_REGIONS)] = serializeLayout(await layoutDiagram(d, elk, monoMeasure));
  }
{
  const d = channelDiagram();
  out[layoutKey(ANY_PROFILE, d.id, [])] = serializeLayout(await layoutDiagram(d, elk, monoMeasure));
}
// Coordinates to 0.01 px: ELK's raw ones (1024.9999999999995, 192.80208333333334) made the page's
// first profile chunk 94 KB, and the drawing writes them at 0.1 px (diagrams/render.ts) anyway.
process.stdout.write(JSON.stringify(out, (_, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v)));
