import { SerialPort } from 'serialport';
import type { Duplex } from 'node:stream';

/** Open a recorder's CDC-ACM port (115200 8N1; the rate is irrelevant for CDC). */
function openSerial(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 115200, dataBits: 8, stopBits: 1, parity: 'none', autoOpen: false, lock: true });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

function closeSerial(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve();
    port.close(() => resolve());
  });
}

/** A recorder's byte link as the dock uses it: a duplex, whether it is open, and how to close it. */
export interface RecorderLink {
  readonly stream: Duplex;
  isOpen(): boolean;
  close(): Promise<void>;
}

/** Opens the link of a recorder found at a port path: the dock's seam (tests give it in-memory links). */
export interface RecorderLinkFactory {
  open(path: string): Promise<RecorderLink>;
}

/** The real links: the recorder's CDC-ACM serial port. */
export const serialLinks: RecorderLinkFactory = {
  async open(path) {
    const port = await openSerial(path);
    return { stream: port, isOpen: () => port.isOpen, close: () => closeSerial(port) };
  },
};
