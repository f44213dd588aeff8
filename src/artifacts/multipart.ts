import { invalidParam } from '../core/errors.js';
import type { UploadedPart } from './port.js';

/** Rules of multipart uploads that every adapter applies the same way (S3's own limits). */

export const MAX_PART_NUMBER = 10_000;

/** S3's rule: part numbers run from 1 to 10000. */
export function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw invalidParam(`Invalid part number ${partNumber}: expected an integer from 1 to ${MAX_PART_NUMBER}.`, 'part_number');
  }
}

/** Validate a completion list and return it in part-number order. */
export function sortParts(parts: UploadedPart[]): UploadedPart[] {
  if (parts.length === 0) throw invalidParam('A multipart upload needs at least one part to complete.', 'parts');
  const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  for (let i = 0; i < ordered.length; i++) {
    checkPartNumber(ordered[i]!.partNumber);
    if (i > 0 && ordered[i]!.partNumber === ordered[i - 1]!.partNumber) {
      throw invalidParam(`Part ${ordered[i]!.partNumber} is listed twice.`, 'parts');
    }
  }
  return ordered;
}

