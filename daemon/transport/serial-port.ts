import { SerialPort } from 'serialport';

/** Open a recorder's CDC-ACM port (115200 8N1; the rate is irrelevant for CDC). */
export function openSerial(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 115200, dataBits: 8, stopBits: 1, parity: 'none', autoOpen: false, lock: true });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

export function closeSerial(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve();
    port.close(() => resolve());
  });
}
