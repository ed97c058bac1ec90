// The entry names of a ZIP archive, read from its central directory (APPNOTE 6.3.10, §4.3.12,
// §4.3.14–16), without inflating anything. Enough to tell an OFD package (GB/T 33190: a ZIP
// container whose root holds OFD.xml) from any other ZIP. Pure: bytes in, names out.

const LOCAL_FILE_HEADER = 0x04034b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const UTF8_NAMES = 0x0800;

/** True when the bytes open with a ZIP local file header (`PK\x03\x04`). */
export function startsLikeZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && view(bytes).getUint32(0, true) === LOCAL_FILE_HEADER;
}

/**
 * Names of every entry in the archive's central directory, in directory order, or undefined
 * when the bytes are not a well-formed ZIP archive (no end record, a directory outside the
 * bytes, a truncated entry).
 */
export function zipEntryNames(bytes: Uint8Array): string[] | undefined {
  const data = view(bytes);
  const end = findEndOfCentralDirectory(data);
  if (end === undefined) return undefined;
  let entries = data.getUint16(end + 10, true);
  let directorySize = data.getUint32(end + 12, true);
  let directoryOffset = data.getUint32(end + 16, true);

  if (entries === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const zip64 = readZip64End(data, end);
    if (zip64 === undefined) return undefined;
    ({ entries, directorySize, directoryOffset } = zip64);
  }
  if (directoryOffset + directorySize > end) return undefined;

  const names: string[] = [];
  let at = directoryOffset;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > end || data.getUint32(at, true) !== CENTRAL_FILE_HEADER) return undefined;
    const flags = data.getUint16(at + 8, true);
    const nameLength = data.getUint16(at + 28, true);
    const extraLength = data.getUint16(at + 30, true);
    const commentLength = data.getUint16(at + 32, true);
    const nameEnd = at + 46 + nameLength;
    if (nameEnd > end) return undefined;
    const nameBytes = bytes.subarray(at + 46, nameEnd);
    // Names without the UTF-8 flag are CP437; every name we look for is ASCII, where the two agree.
    names.push(new TextDecoder(flags & UTF8_NAMES ? 'utf-8' : 'latin1').decode(nameBytes));
    at = nameEnd + extraLength + commentLength;
  }
  return names;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Offset of the end record: scanned from the end, the first whose comment ends the bytes exactly. */
function findEndOfCentralDirectory(data: DataView): number | undefined {
  const last = data.byteLength - EOCD_SIZE;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= first; at--) {
    if (data.getUint32(at, true) !== END_OF_CENTRAL_DIRECTORY) continue;
    if (at + EOCD_SIZE + data.getUint16(at + 20, true) === data.byteLength) return at;
  }
  return undefined;
}

function readZip64End(
  data: DataView,
  end: number,
): { entries: number; directorySize: number; directoryOffset: number } | undefined {
  const locator = end - 20;
  if (locator < 0 || data.getUint32(locator, true) !== ZIP64_END_LOCATOR) return undefined;
  const record = Number(data.getBigUint64(locator + 8, true));
  if (record + 56 > locator || data.getUint32(record, true) !== ZIP64_END_OF_CENTRAL_DIRECTORY) {
    return undefined;
  }
  return {
    entries: Number(data.getBigUint64(record + 32, true)),
    directorySize: Number(data.getBigUint64(record + 40, true)),
    directoryOffset: Number(data.getBigUint64(record + 48, true)),
  };
}
