import { describe, expect, it } from 'vitest';
import { loadNative, resolveBackend } from '../src/addon/native.js';
import { GrokinfoError } from '../src/core/errors.js';

describe('native addon', () => {
  it('loads and reports its backends', () => {
    const info = loadNative().backendInfo();
    expect(typeof info.cuda).toBe('boolean');
    expect(resolveBackend('cpu').backend).toBe('cpu');
  });
  it('asking for cuda where there is none is a coded error', () => {
    const info = loadNative().backendInfo();
    if (info.cuda) return;
    try {
      resolveBackend('cuda');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GrokinfoError);
      expect((e as GrokinfoError).code).toBe('BACKEND_UNAVAILABLE');
    }
  });
});
