/** The app pods of the metrics benchmark: ten per service, one service per namespace. */
export function podOf(i: number): { namespace: string; service: string; pod: string } {
  const group = Math.floor(i / 10);
  return { namespace: `bench${String(group).padStart(4, '0')}-shop`, service: 'web', pod: `web-5d8c7b9f4-${String(i).padStart(5, '0')}` };
}
