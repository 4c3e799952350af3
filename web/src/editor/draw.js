// Drawing and dragging on the map with terra-draw (terra-draw-maplibre-gl-adapter): the place being edited is a
// terra-draw feature in select mode (a point is dragged whole; a line's or polygon's vertices are dragged, inserted at
// midpoints and deleted), and 新建点/线/面 use terra-draw's point, linestring and polygon modes.
import {
  TerraDraw,
  TerraDrawLineStringMode,
  TerraDrawPointMode,
  TerraDrawPolygonMode,
  TerraDrawSelectMode,
} from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

const EDITABLE = { Point: 'point', LineString: 'linestring', Polygon: 'polygon' };
const COLOR = '#c23b22';

const shapeFlags = {
  feature: {
    draggable: true,
    coordinates: { draggable: true, midpoints: true, deletable: true },
  },
};

const PRECISION = 9; // decimal places of a coordinate (1e-9° ≈ 0.1 mm); terra-draw refuses features with more

/** geometry with every coordinate rounded to PRECISION decimals (terra-draw's store validates the precision). */
function rounded(geometry) {
  const f = 10 ** PRECISION;
  const walk = (c) => (typeof c[0] === 'number' ? c.map((x) => Math.round(x * f) / f) : c.map(walk));
  return { type: geometry.type, coordinates: walk(geometry.coordinates) };
}

/** Whether terra-draw can edit geometry (Point, LineString, Polygon; not the Multi* types). */
export const editableGeometry = (geometry) => !!EDITABLE[geometry?.type];

/**
 * Starts terra-draw on map (after its style loaded). onDrawn(geometry) is called when a new shape is finished,
 * onMoved(geometry) when the edited shape was dragged or reshaped.
 */
export function createDraw(map, { onDrawn, onMoved }) {
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map, coordinatePrecision: PRECISION }),
    modes: [
      new TerraDrawSelectMode({
        flags: { point: { feature: { draggable: true } }, linestring: shapeFlags, polygon: shapeFlags },
        // The place stays selected: a click beside it must not drop the handles (the map click selects other places).
        allowManualDeselection: false,
        keyEvents: null,
        styles: {
          selectedPointColor: COLOR, selectedPointWidth: 7, selectedPointOutlineColor: '#ffffff', selectedPointOutlineWidth: 2,
          selectedLineStringColor: COLOR, selectedLineStringWidth: 3,
          selectedPolygonColor: COLOR, selectedPolygonFillOpacity: 0.15, selectedPolygonOutlineColor: COLOR, selectedPolygonOutlineWidth: 2,
          selectionPointColor: COLOR, selectionPointWidth: 5, selectionPointOutlineColor: '#ffffff', selectionPointOutlineWidth: 1,
          midPointColor: '#ffffff', midPointOutlineColor: COLOR, midPointWidth: 4, midPointOutlineWidth: 1,
        },
      }),
      new TerraDrawPointMode({ styles: { pointColor: COLOR, pointWidth: 7, pointOutlineColor: '#ffffff', pointOutlineWidth: 2 } }),
      new TerraDrawLineStringMode({ styles: { lineStringColor: COLOR, lineStringWidth: 3 } }),
      new TerraDrawPolygonMode({ styles: { fillColor: COLOR, fillOpacity: 0.2, outlineColor: COLOR, outlineWidth: 2 } }),
    ],
  });
  draw.start();
  draw.setMode('select');

  let editedId = null;
  let drawing = null; // the mode of a new shape being drawn

  draw.on('finish', (id, ctx) => {
    if (drawing && ctx?.mode === drawing) {
      const f = draw.getSnapshotFeature(id);
      drawing = null;
      draw.setMode('select');
      editedId = id;
      draw.selectFeature(id);
      onDrawn?.(f?.geometry);
      return;
    }
    if (id === editedId && ctx?.mode === 'select') onMoved?.(draw.getSnapshotFeature(id)?.geometry);
  });

  return {
    draw,
    /** Shows geometry as the edited shape (selected, with its handles); false when terra-draw cannot edit it. */
    edit(geometry) {
      this.clear();
      const mode = EDITABLE[geometry?.type];
      if (!mode) return false;
      const id = draw.getFeatureId();
      const [res] = draw.addFeatures([{ id, type: 'Feature', geometry: rounded(geometry), properties: { mode } }]);
      if (res && res.valid === false) {
        console.warn(`civmap editor: terra-draw refused the geometry: ${res.reason}`);
        return false;
      }
      editedId = id;
      draw.selectFeature(id);
      return true;
    },
    /** The edited shape's geometry now, or null. */
    geometry() {
      return editedId ? draw.getSnapshotFeature(editedId)?.geometry ?? null : null;
    },
    /** Starts drawing a new point, linestring or polygon. */
    start(mode) {
      this.clear();
      drawing = mode;
      draw.setMode(mode);
    },
    get drawing() {
      return drawing;
    },
    clear() {
      drawing = null;
      if (draw.getMode() !== 'select') draw.setMode('select');
      if (editedId && draw.hasFeature(editedId)) {
        try {
          draw.deselectFeature(editedId);
        } catch {
          // not selected
        }
      }
      draw.clear();
      editedId = null;
    },
  };
}
