using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Operations;
using WechatGateway.Privacy;

namespace WechatGateway.Orders;

/// <summary>
/// <c>/api/admin/orders</c>: purchases imported from POS or e-commerce, one at a time or in bulk (a JSON array or CSV),
/// idempotent by order number. Store managers import for their own stores only, credit only members of the order's
/// store and are capped in yuan per day (<see cref="OrderImporterKey"/>).
/// </summary>
public static class OrderEndpoints
{
    /// <summary>A bulk import answers per row within one request; larger files are split by the sender.</summary>
    public const int MaxBulkRows = 20_000;

    public sealed record BulkResult(int Imported, int Pending, int Duplicate, int Invalid, IReadOnlyList<BulkRow> Rows);

    public sealed record BulkRow(int Row, string? OrderNo, string Status, ulong? OrderId, string? MemberId, long Awarded, string? Error);

    public sealed record OrderView(ulong Id, string OrderNo, string? AppId, string? OpenId, string? UnionId, string? Phone, decimal Amount, ulong? StoreId, DateTime PaidAt, ulong? MemberId, long Awarded, DateTime CreatedAt, DateTime? MatchedAt);

    public static RouteGroupBuilder MapOrdersAdmin(this RouteGroupBuilder admin)
    {
        var orders = admin.MapGroup("/orders").WithTags("Orders");
        orders.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read).AuditReads()
            .WithSummary("Imported orders, newest first; ?pending=true for those still waiting for their member. Phones masked, and OpenIDs and UnionIDs for viewers, as in /members; each read is audited.");
        orders.MapPost("", ImportAsync).RequireAuthorization(AdminPolicies.Write).WithSummary("Imports one order; the same orderNo again changes nothing.");
        orders.MapPost("/bulk", ImportBulkAsync).RequireAuthorization(AdminPolicies.Write).Accepts<List<OrderInput>>("application/json", "text/csv")
            .WithSummary("Imports a JSON array of orders or a CSV (orderNo,openId,appId,unionId,phone,amount,storeId,paidAt) and answers per row.");
        return admin;
    }

    [ResponseExample("""[ { "id": 2201, "orderNo": "POS-20261201-000123", "appId": "wx5f3c2a1b9d8e7f60", "openId": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "unionId": null, "phone": "138****5678", "amount": 128.00, "storeId": 3, "paidAt": "2026-12-01T03:20:00", "memberId": 10482, "awarded": 128, "createdAt": "2026-12-01T03:20:04", "matchedAt": "2026-12-01T03:20:04" } ]""")]
    public static async Task<Ok<IReadOnlyList<OrderView>>> ListAsync(bool? pending, int? limit, ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        // A store manager sees the orders of its stores only.
        var stores = user.StoresOf();
        var sql = $"""
            SELECT id AS Id, order_no AS OrderNo, app_id AS AppId, open_id AS OpenId, union_id AS UnionId, phone AS Phone, amount AS Amount,
                   store_id AS StoreId, paid_at AS PaidAt, member_id AS MemberId, awarded AS Awarded, created_at AS CreatedAt, matched_at AS MatchedAt
            FROM shop_order
            WHERE 1 = 1 {(pending == true ? "AND matched_at IS NULL" : "")} {(stores is null ? "" : "AND store_id IN @stores")}
            ORDER BY id DESC LIMIT @limit
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<OrderView>(new CommandDefinition(sql, new { limit = Math.Clamp(limit ?? 100, 1, 1000), stores }, cancellationToken: ct));

        // The same masking as /members: an order must not show what a member's page hides.
        return TypedResults.Ok<IReadOnlyList<OrderView>>(rows
            .Select(o => o with { OpenId = user.Identifier(o.OpenId), UnionId = user.Identifier(o.UnionId), Phone = PersonalData.MaskPhone(o.Phone) })
            .ToList());
    }

    [RequestExample("""{ "orderNo": "POS-20261201-000123", "openId": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "appId": "wx5f3c2a1b9d8e7f60", "amount": 128.00, "storeId": 3, "paidAt": "2026-12-01T03:20:00Z" }""")]
    [ResponseExample("""{ "orderNo": "POS-20261201-000123", "status": "duplicate", "orderId": 2201, "memberId": "10482", "awarded": 128, "error": null }""")]
    [ResponseExample("""{ "orderNo": "POS-20261201-000123", "status": "imported", "orderId": 2201, "memberId": "10482", "awarded": 128, "error": null }""", StatusCode = 201)]
    public static async Task<Results<Created<OrderResult>, Ok<OrderResult>, ProblemHttpResult>> ImportAsync(
        OrderInput input, ClaimsPrincipal user, OrderImporter importer, CancellationToken ct)
    {
        if (!MayImport(user, input))
        {
            // A problem, not a challenge: the key is valid, its stores are not this order's.
            return TypedResults.Problem("A store manager imports orders of its own stores only (storeId).", title: "Not your store", statusCode: StatusCodes.Status403Forbidden);
        }

        var result = await importer.ImportAsync(input, KeyOf(user), ct);
        return result.Status switch
        {
            OrderStatus.Invalid => TypedResults.Problem(result.Error, title: "Invalid order", statusCode: StatusCodes.Status400BadRequest),
            OrderStatus.Duplicate => TypedResults.Ok(result),
            _ => TypedResults.Created($"/api/admin/orders/{result.OrderId}", result),
        };
    }

    [RequestExample("""[ { "orderNo": "POS-20261201-000123", "openId": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "appId": "wx5f3c2a1b9d8e7f60", "amount": 128.00, "storeId": 3, "paidAt": "2026-12-01T03:20:00Z" }, { "orderNo": "EC-88172", "phone": "13812345678", "amount": 59.90, "paidAt": "2026-12-01T03:25:41Z" } ]""")]
    [RequestExample("""
        orderNo,openId,appId,unionId,phone,amount,storeId,paidAt
        POS-20261201-000123,oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA,wx5f3c2a1b9d8e7f60,,,128.00,3,2026-12-01T03:20:00Z
        EC-88172,,,,13812345678,59.90,,2026-12-01T03:25:41Z
        """, MediaType = "text/csv")]
    [ResponseExample("""
        {
          "imported": 1, "pending": 1, "duplicate": 0, "invalid": 0,
          "rows": [
            { "row": 1, "orderNo": "POS-20261201-000123", "status": "imported", "orderId": 2201, "memberId": "10482", "awarded": 128, "error": null },
            { "row": 2, "orderNo": "EC-88172", "status": "pending", "orderId": 2202, "memberId": null, "awarded": 0, "error": null }
          ]
        }
        """)]
    public static async Task<Results<Ok<BulkResult>, ProblemHttpResult>> ImportBulkAsync(HttpRequest request, ClaimsPrincipal user, OrderImporter importer, CancellationToken ct)
    {
        // The audit filter has read (the start of) the buffered body already.
        if (request.Body.CanSeek)
        {
            request.Body.Position = 0;
        }

        List<OrderInput?> inputs;
        try
        {
            inputs = request.ContentType?.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) == true
                ? await OrderCsv.ReadAsync(request.Body, MaxBulkRows + 1, ct)
                : await JsonSerializer.DeserializeAsync<List<OrderInput?>>(request.Body, JsonSerializerOptions.Web, ct) ?? [];
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return TypedResults.Problem(e.Message, title: "Unreadable import", statusCode: StatusCodes.Status400BadRequest);
        }

        if (inputs.Count > MaxBulkRows)
        {
            return TypedResults.Problem($"At most {MaxBulkRows} orders per request.", title: "Import too large", statusCode: StatusCodes.Status400BadRequest);
        }

        var rows = new List<BulkRow>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var result = input is null
                ? new OrderResult(null, OrderStatus.Invalid, null, null, 0, "not an order")
                : !MayImport(user, input)
                    ? new OrderResult(input.OrderNo, OrderStatus.Invalid, null, null, 0, "storeId is not one of this key's stores")
                    : await importer.ImportAsync(input, KeyOf(user), ct);
            rows.Add(new BulkRow(i + 1, result.OrderNo, result.Status, result.OrderId, result.MemberId, result.Awarded, result.Error));
        }

        return TypedResults.Ok(new BulkResult(
            rows.Count(r => r.Status == OrderStatus.Imported),
            rows.Count(r => r.Status == OrderStatus.Pending),
            rows.Count(r => r.Status == OrderStatus.Duplicate),
            rows.Count(r => r.Status == OrderStatus.Invalid),
            rows));
    }

    private static OrderImporterKey KeyOf(ClaimsPrincipal user) => new(user.Actor(), user.Role() == AdminRole.StoreManager);

    /// <summary>Admins import anything; a store manager only orders of its own stores.</summary>
    private static bool MayImport(ClaimsPrincipal user, OrderInput input) =>
        user.Role() == AdminRole.Admin || (input.StoreId is { } store && user.CanWriteStore(store));
}

/// <summary>
/// The CSV form of a bulk import: a header naming the columns (any order, case-insensitive), then one order per line.
/// Fields may be quoted with double quotes (RFC 4180); amounts use a dot; paidAt is ISO 8601.
/// </summary>
public static class OrderCsv
{
    public static async Task<List<OrderInput?>> ReadAsync(Stream body, int maxRows, CancellationToken ct)
    {
        using var reader = new StreamReader(body);
        var header = await reader.ReadLineAsync(ct) ?? throw new FormatException("The CSV is empty: it needs a header line.");
        var columns = Split(header).Select(c => c.Trim().ToLowerInvariant()).ToList();
        var rows = new List<OrderInput?>();
        while (await reader.ReadLineAsync(ct) is { } line && rows.Count < maxRows)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var fields = Split(line);
            string? Field(string name)
            {
                var index = columns.IndexOf(name.ToLowerInvariant());
                return index >= 0 && index < fields.Count && fields[index].Length > 0 ? fields[index] : null;
            }

            rows.Add(Parse(Field));
        }

        return rows;
    }

    /// <summary>A row whose numbers or dates do not parse becomes an invalid row (null), not a failed import.</summary>
    private static OrderInput? Parse(Func<string, string?> field)
    {
        decimal? amount = null;
        if (field("amount") is { } a)
        {
            if (!decimal.TryParse(a, NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed))
            {
                return null;
            }

            amount = parsed;
        }

        long? storeId = null;
        if (field("storeId") is { } s)
        {
            if (!long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
            {
                return null;
            }

            storeId = parsed;
        }

        DateTime? paidAt = null;
        if (field("paidAt") is { } p)
        {
            if (!DateTimeOffset.TryParse(p, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return null;
            }

            paidAt = parsed.UtcDateTime;
        }

        return new OrderInput(field("orderNo"), field("openId"), field("appId"), field("unionId"), field("phone"), amount, storeId, paidAt);
    }

    private static List<string> Split(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                fields.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(ch);
            }
        }

        fields.Add(current.ToString().Trim());
        return fields;
    }
}
