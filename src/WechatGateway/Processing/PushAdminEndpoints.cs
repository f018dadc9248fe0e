using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Operations;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Processing;

/// <summary>
/// <c>/api/admin/pushes</c>: the recorded pushes an operator needs to see — <c>failed</c> (a handler kept failing),
/// <c>unparsed</c> (signed by WeChat, not typed), or any other status — and a replay that hands one back to the
/// processing stage.
/// </summary>
public static class PushAdminEndpoints
{
    private static readonly string[] Statuses = [PushStatus.Recorded, PushStatus.Processed, PushStatus.Failed, PushStatus.Unparsed];

    public static RouteGroupBuilder MapAdminPushes(this RouteGroupBuilder admin)
    {
        var pushes = admin.MapGroup("/pushes");
        pushes.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Recorded pushes, newest first; status=failed lists what needs an operator, status=unparsed what WeChat sent that did not fit. OpenIDs are masked for viewers; a store manager sees the pushes of its stores' members.");
        pushes.MapGet("/{id}", GetAsync).WithSummary("One recorded push with its raw XML, attempts and last error.")
            .RequireAuthorization(AdminPolicies.AdminOnly);
        pushes.MapPost("/{id}/replay", ReplayAsync)
            .WithSummary("Hands a failed push back to the processing stage (handlers that already ran are not run again).")
            .RequireAuthorization(AdminPolicies.AdminOnly);
        return admin;
    }

    public sealed record PushSummary(
        ulong Id, string AppId, string OpenId, string MsgType, string? Event, string? MsgId, string Status, string? Problem,
        string? LastError, int Attempts, int Deliveries, DateTime ReceivedAt, DateTime? ProcessedAt);

    public sealed record PushDetail(PushSummary Push, string RawXml, string HandlersDone);

    public sealed record PushPage(IReadOnlyList<PushSummary> Items, ulong? Next);

    private const string Columns = """
        id AS Id, app_id AS AppId, open_id AS OpenId, msg_type AS MsgType, event AS Event, msg_id AS MsgId, status AS Status,
        problem AS Problem, last_error AS LastError, attempts AS Attempts, deliveries AS Deliveries, received_at AS ReceivedAt,
        processed_at AS ProcessedAt
        """;

    [ResponseExample("""{ "items": [ { "id": 88104, "appId": "wx5f3c2a1b9d8e7f60", "openId": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "msgType": "event", "event": "subscribe", "msgId": null, "status": "failed", "problem": null, "lastError": "MySqlException: Lock wait timeout exceeded", "attempts": 5, "deliveries": 1, "receivedAt": "2026-12-01T02:00:03", "processedAt": null } ], "next": null }""")]
    public static async Task<Results<Ok<PushPage>, ProblemHttpResult>> ListAsync(
        string? status, int? limit, ulong? cursor, ClaimsPrincipal user, [FromServices] MySqlDataSource dataSource, CancellationToken ct)
    {
        if (status is not null && !Statuses.Contains(status))
        {
            return TypedResults.Problem($"status must be one of {string.Join(", ", Statuses)}.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (limit is < 1 or > 200)
        {
            return TypedResults.Problem("limit must be between 1 and 200.", statusCode: StatusCodes.Status400BadRequest);
        }

        var stores = user.StoresOf();
        var sql = $"""
            SELECT {Columns} FROM wechat_push p
            WHERE (@status IS NULL OR status = @status) AND (@cursor IS NULL OR id < @cursor)
              {(stores is null ? "" : "AND EXISTS (SELECT 1 FROM member_identity i JOIN member m ON m.id = i.member_id WHERE i.app_id = p.app_id AND i.open_id = p.open_id AND m.home_store_id IN @stores)")}
            ORDER BY id DESC LIMIT @take
            """;
        var take = limit ?? 50;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<PushSummary>(new CommandDefinition(sql, new { status, cursor, take = take + 1, stores }, cancellationToken: ct))).AsList();
        var next = rows.Count > take ? rows[take - 1].Id : (ulong?)null;
        return TypedResults.Ok(new PushPage(rows.Take(take).Select(p => p with { OpenId = user.Identifier(p.OpenId)! }).ToList(), next));
    }

    [ResponseExample("""{ "push": { "id": 88104, "appId": "wx5f3c2a1b9d8e7f60", "openId": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "msgType": "event", "event": "subscribe", "msgId": null, "status": "failed", "problem": null, "lastError": "MySqlException: Lock wait timeout exceeded", "attempts": 5, "deliveries": 1, "receivedAt": "2026-12-01T02:00:03", "processedAt": null }, "rawXml": "<xml><ToUserName><![CDATA[gh_3a1b2c4d5e6f]]></ToUserName><FromUserName><![CDATA[oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA]]></FromUserName><CreateTime>1764554403</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>", "handlersDone": "members" }""")]
    public static async Task<Results<Ok<PushDetail>, NotFound>> GetAsync(ulong id, [FromServices] MySqlDataSource dataSource, CancellationToken ct)
    {
        const string sql = $"SELECT {Columns}, raw_xml AS RawXml, handlers_done AS HandlersDone FROM wechat_push WHERE id = @id";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync(new CommandDefinition(sql, new { id }, cancellationToken: ct));
        if (row is null)
        {
            return TypedResults.NotFound();
        }

        var summary = new PushSummary((ulong)row.Id, row.AppId, row.OpenId, row.MsgType, row.Event, row.MsgId, row.Status, row.Problem,
            row.LastError, (int)row.Attempts, (int)row.Deliveries, (DateTime)row.ReceivedAt, (DateTime?)row.ProcessedAt);
        return TypedResults.Ok(new PushDetail(summary, (string)row.RawXml, (string)row.HandlersDone));
    }

    /// <summary>
    /// Only a parked push is replayed: a recorded one is on its way, a processed one is done. An unparsed push is
    /// replayed when the current parser reads it (after an upgrade that learned its shape); otherwise 409 says why.
    /// </summary>
    [ResponseExample("""{ "id": 88104, "appId": "wx5f3c2a1b9d8e7f60", "openId": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "msgType": "event", "event": "subscribe", "msgId": null, "status": "recorded", "problem": null, "lastError": "MySqlException: Lock wait timeout exceeded", "attempts": 0, "deliveries": 1, "receivedAt": "2026-12-01T02:00:03", "processedAt": null }""")]
    public static async Task<Results<Ok<PushSummary>, NotFound, ProblemHttpResult>> ReplayAsync(ulong id, [FromServices] MySqlDataSource dataSource, [FromServices] PushSignal signal, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var current = await connection.QuerySingleOrDefaultAsync<(string Status, string RawXml)?>(new CommandDefinition(
            "SELECT status AS Status, raw_xml AS RawXml FROM wechat_push WHERE id = @id", new { id }, cancellationToken: ct));
        if (current is not { } push)
        {
            return TypedResults.NotFound();
        }

        if (push.Status == PushStatus.Unparsed && ParseProblem(push.RawXml) is { } problem)
        {
            return TypedResults.Problem($"The push still does not parse: {problem}", statusCode: StatusCodes.Status409Conflict);
        }

        if (push.Status is not (PushStatus.Failed or PushStatus.Unparsed))
        {
            return TypedResults.Problem($"Only failed or unparsed pushes are replayed; this one is {push.Status}.", statusCode: StatusCodes.Status409Conflict);
        }

        const string replay = $"""
            UPDATE wechat_push SET status = @recorded, attempts = 0, claimed_until = NULL, problem = NULL
            WHERE id = @id AND status = @status;
            SELECT {Columns} FROM wechat_push WHERE id = @id;
            """;
        var replayed = await connection.QuerySingleAsync<PushSummary>(new CommandDefinition(replay, new { id, status = push.Status, recorded = PushStatus.Recorded }, cancellationToken: ct));
        signal.Notify();
        return TypedResults.Ok(replayed);
    }

    private static string? ParseProblem(string rawXml)
    {
        try
        {
            return WechatPushParser.Parse(rawXml) is UnparsedPush unparsed ? unparsed.Problem : null;
        }
        catch (WechatXmlException e)
        {
            return e.Message;
        }
    }
}
