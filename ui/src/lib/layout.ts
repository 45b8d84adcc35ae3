// Places overlapping appointments of one doctor column side by side in lanes.

export type Interval = { id: string; startMin: number; endMin: number };

/** Card `id` takes lane `lane` (0-based) of `lanes` equal-width lanes. */
export type Placement = { lane: number; lanes: number };

/**
 * Assigns lanes so that no two intervals sharing a lane overlap. Intervals that overlap, directly
 * or through a chain, form a cluster; every member of a cluster gets the cluster's lane count, so
 * cards in one cluster have equal widths. Clusters are independent: a lone card spans the column.
 *
 * `minMinutes` is how long an interval is drawn at least (short cards are stretched to stay
 * touchable), so a short appointment counts as overlapping the one drawn under its stretched card.
 * Touching intervals (one ends when the next starts) do not overlap.
 */
export function assignLanes(items: ReadonlyArray<Interval>, minMinutes = 0): Map<string, Placement> {
  const drawn = items
    .map((it) => ({ id: it.id, start: it.startMin, end: Math.max(it.endMin, it.startMin + minMinutes) }))
    .sort((a, b) => a.start - b.start || a.end - b.end || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const result = new Map<string, Placement>();
  let cluster: Array<{ id: string; lane: number }> = [];
  let laneEnds: number[] = [];
  let clusterEnd = -Infinity;

  const closeCluster = () => {
    for (const c of cluster) result.set(c.id, { lane: c.lane, lanes: laneEnds.length });
    cluster = [];
    laneEnds = [];
    clusterEnd = -Infinity;
  };

  for (const it of drawn) {
    if (it.start >= clusterEnd) closeCluster();
    let lane = laneEnds.findIndex((end) => end <= it.start);
    if (lane === -1) {
      lane = laneEnds.length;
      laneEnds.push(it.end);
    } else {
      laneEnds[lane] = it.end;
    }
    cluster.push({ id: it.id, lane });
    clusterEnd = Math.max(clusterEnd, it.end);
  }
  closeCluster();
  return result;
}
