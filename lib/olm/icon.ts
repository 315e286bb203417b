// The operator's icon in OperatorHub and the catalog: a small SVG (Quay's blue, two chevrons).
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">' +
  '<rect width="64" height="64" rx="12" fill="#40b4e5"/>' +
  '<path fill="#fff" d="M26 14h8L23 32l11 18h-8L15 32zM38 14h8l11 18-11 18h-8l11-18z"/>' +
  '</svg>';

export const ICON = { base64data: Buffer.from(SVG).toString('base64'), mediatype: 'image/svg+xml' } as const;
