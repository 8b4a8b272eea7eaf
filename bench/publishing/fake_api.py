"""A fast fake HTTP API for the publishing benchmark: answers every request
with 200 {"id": "<n>"} after a fixed delay, on asyncio, so one process holds
hundreds of slow answers at once and is never the bottleneck it measures.

    python3 fake_api.py PORT DELAY_MS
Prints "ready" once listening. Speaks just enough HTTP/1.1: Content-Length
bodies and keep-alive."""

import asyncio
import sys


async def handle(reader, writer, delay, counter):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip())
            if length:
                await reader.readexactly(length)
            if delay:
                await asyncio.sleep(delay)
            counter[0] += 1
            body = b'{"id":"%d"}' % counter[0]
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main(port, delay_ms):
    counter = [0]
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, delay_ms / 1000.0, counter), "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
