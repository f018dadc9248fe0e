using System.Text.Json;
using Dapper;
using MySqlConnector;
using WechatGateway.Members;
using WechatGateway.Points;
using WechatGateway.Push;
using WechatGateway.Storage;

namespace WechatGateway.Feedback;

/// <summary>A member's answer to an order's survey.</summary>
public sealed record FeedbackInput(string? OrderNo, int? Rating, string? Comment)
{
    public const int MaxComment = 1000;

    /// <summary>At or below this rating the store's staff member is alerted.</summary>
    public const int LowRating = 2;

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(OrderNo) || OrderNo.Length > 64)
        {
            errors["orderNo"] = ["required: the number of one of the member's orders"];
        }

        if (Rating is not (>= 1 and <= 5))
        {
            errors["rating"] = ["a whole number from 1 to 5"];
        }

        if (Comment is { Length: > MaxComment })
        {
            errors["comment"] = [$"at most {MaxComment} characters"];
        }

        return errors;
    }
}

public enum FeedbackOutcome
{
    Recorded,

    /// <summary>No order of this member has that number.</summary>
    NoSuchOrder,

    /// <summary>The order was answered before: the first answer stands.</summary>
    AlreadyAnswered,
}

public sealed record FeedbackResult(FeedbackOutcome Outcome, ulong? FeedbackId = null, long Awarded = 0);

/// <summary>
/// Records a member's answer, once per order (the unique key on <c>order_feedback.order_id</c>), and in the same
/// transaction awards the <c>feedback</c> rules (ledger key <c>order-feedback:{orderId}:{ruleId}</c>) and, for a rating
/// of <see cref="FeedbackInput.LowRating"/> or less, queues a customer-service alert to the store's staff member, as
/// group alerts do (send key <c>feedback-alert:{feedbackId}</c>). Two taps at once: one records, the other waits on
/// the key and is told it was answered.
/// </summary>
public sealed class FeedbackAnswers(MySqlDataSource dataSource, PointsAwards awards, MemberStore members, SendOutbox outbox, TimeProvider time, ILogger<FeedbackAnswers> logger)
{
    /// <summary>Erasure (<see cref="MemberTables"/>): the rating stays, the comment (free text) goes.</summary>
    public static readonly MemberSql EraseComments = new("UPDATE order_feedback SET comment = NULL WHERE member_id = @memberId");

    public async Task<FeedbackResult> AnswerAsync(ulong memberId, string appId, FeedbackInput input, CancellationToken ct) =>
        await DeadlockRetry.RunAsync(
            () => TryAnswerAsync(memberId, appId, input, ct),
            error => logger.LogInformation("Feedback of member {MemberId} met {Error}; running it again", memberId, error));

    private async Task<FeedbackResult> TryAnswerAsync(ulong memberId, string appId, FeedbackInput input, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        memberId = await PointsLedger.LockLiveMemberAsync(c, t, memberId, ct);
        const string orderSql = """
            SELECT o.id AS Id, o.order_no AS OrderNo, o.store_id AS StoreId, s.name AS StoreName, s.staff_app_id AS StaffAppId, s.staff_open_id AS StaffOpenId
            FROM shop_order o LEFT JOIN store s ON s.id = o.store_id AND s.active = 1
            WHERE o.order_no = @orderNo AND o.member_id = @memberId
            """;
        var order = await c.QuerySingleOrDefaultAsync<AnsweredOrder>(new CommandDefinition(orderSql, new { orderNo = input.OrderNo!.Trim(), memberId }, t, cancellationToken: ct));
        if (order is null)
        {
            return new FeedbackResult(FeedbackOutcome.NoSuchOrder);
        }

        const string insert = """
            INSERT IGNORE INTO order_feedback (order_id, member_id, store_id, rating, comment, created_at) VALUES (@Id, @memberId, @StoreId, @rating, @comment, @now);
            SELECT ROW_COUNT() AS Inserted, LAST_INSERT_ID() AS Id;
            """;
        var comment = string.IsNullOrWhiteSpace(input.Comment) ? null : input.Comment.Trim();
        var (inserted, feedbackId) = await c.QuerySingleAsync<(long Inserted, ulong Id)>(new CommandDefinition(insert, new { order.Id, memberId, order.StoreId, rating = input.Rating, comment, now }, t, cancellationToken: ct));
        if (inserted == 0)
        {
            return new FeedbackResult(FeedbackOutcome.AlreadyAnswered);
        }

        long points = 0;
        foreach (var rule in await PointsRules.ActiveAsync(c, t, PointsTriggers.Feedback, appId, now, ct))
        {
            var posting = await awards.AwardAsync(c, t, rule, memberId, rule.Points, $"order-feedback:{order.Id}:{rule.Id}", $"{rule.Name} (order {order.OrderNo})", $"feedback:{feedbackId}", null, ct);
            points += posting is { Status: PostingStatus.Posted } ? posting.Delta : 0;
        }

        var alerted = input.Rating <= FeedbackInput.LowRating && order.StaffAppId is not null && order.StaffOpenId is not null;
        if (alerted)
        {
            var text = $"Low rating {input.Rating}/5 for order {order.OrderNo} at {order.StoreName}" + (comment is null ? "." : $": \"{comment}\"") + " Please follow up with the customer.";
            var body = JsonSerializer.Serialize(new { touser = order.StaffOpenId, msgtype = "text", text = new { content = text } });
            await outbox.AddAsync(c, t, new OutboundMessage(order.StaffAppId!, order.StaffOpenId!, null, SendKind.Custom, body, $"feedback-alert:{feedbackId}"), ct);
        }

        const string finish = "UPDATE order_feedback SET awarded = @points, alerted = @alerted WHERE id = @feedbackId";
        await c.ExecuteAsync(new CommandDefinition(finish, new { points, alerted, feedbackId }, t, cancellationToken: ct));
        await members.AddTimelineAsync(c, t, memberId, "feedback", $"rated order {order.OrderNo} {input.Rating}/5", null, $"feedback:{feedbackId}", ct);
        await t.CommitAsync(ct);
        outbox.Committed();
        return new FeedbackResult(FeedbackOutcome.Recorded, feedbackId, points);
    }

    private sealed record AnsweredOrder(ulong Id, string OrderNo, ulong? StoreId, string? StoreName, string? StaffAppId, string? StaffOpenId);
}
