"""An MCP client this project did not write: the official MCP Python SDK (`mcp`).

Usage: client.py BINARY CWD CALLS_JSON

Starts `BINARY mcp` in CWD over stdio, initializes, lists the tools, then makes each call of
CALLS_JSON (a list of [tool, arguments]) in order; ["parallel", [[tool, arguments], ...]]
makes those calls at once and records their results in order. In arguments, the string
"$SESSION" is replaced by the session_id of the last result that had one. The whole exchange
must end within 90 seconds. Prints one JSON object: the
server's name, the tools with their input schemas, and each call's result as the SDK parsed it
(camelCase, as on the wire).
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def substitute(value, session):
    if value == "$SESSION":
        return session
    if isinstance(value, dict):
        return {k: substitute(v, session) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, session) for v in value]
    return value


async def main():
    binary, cwd, calls = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    params = StdioServerParameters(command=binary, args=["mcp"], env=dict(os.environ), cwd=cwd)
    out = {"calls": []}
    session_id = None
    async with stdio_client(params) as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            init = (await session.initialize()).model_dump(by_alias=True, exclude_none=True)
            out["server"] = init.get("serverInfo", {}).get("name")
            listed = (await session.list_tools()).model_dump(by_alias=True, exclude_none=True)
            out["tools"] = {t["name"]: t for t in listed["tools"]}
            for name, arguments in calls:
                if name == "parallel":
                    batch = [session.call_tool(n, substitute(a, session_id)) for n, a in arguments]
                    results = await asyncio.gather(*batch)
                else:
                    results = [await session.call_tool(name, substitute(arguments, session_id))]
                for result in results:
                    r = result.model_dump(by_alias=True, exclude_none=True)
                    out["calls"].append(r)
                    structured = r.get("structuredContent") or {}
                    if isinstance(structured, dict) and structured.get("session_id"):
                        session_id = structured["session_id"]
    print(json.dumps(out))


asyncio.run(asyncio.wait_for(main(), timeout=90))
