// Charts arrive from Rust as SVG text with a fixed pixel size; on screen they scale to their box.

/**
 * The SVG with a viewBox (taken from its width and height when missing) and without fixed
 * width/height, so CSS sizes it and it keeps its aspect ratio. Text that is not an <svg> is returned as is.
 */
export function responsiveSvg(svg: string): string {
  const open = /<svg\b[^>]*>/.exec(svg);
  if (!open) return svg;
  let tag = open[0];
  const w = /\swidth="([\d.]+)(?:px)?"/.exec(tag)?.[1];
  const h = /\sheight="([\d.]+)(?:px)?"/.exec(tag)?.[1];
  if (!/\sviewBox=/.test(tag) && w && h) tag = tag.replace(/<svg\b/, `<svg viewBox="0 0 ${w} ${h}"`);
  tag = tag.replace(/\s(width|height)="[^"]*"/g, "");
  tag = tag.replace(/<svg\b/, '<svg preserveAspectRatio="xMidYMid meet"');
  return svg.slice(0, open.index) + tag + svg.slice(open.index + open[0].length);
}
