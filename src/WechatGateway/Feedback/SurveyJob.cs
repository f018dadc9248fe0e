using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;
using WechatGateway.Push;

namespace WechatGateway.Feedback;

/// <summary>
/// Worker job: sends each survey that is due through the send queue, on the channel WeChat allows now
/// (<see cref="FollowerChannel"/>), or records why it was not sent. The send key is <c>feedback-survey:{orderId}</c>
/// and the survey row is claimed by a conditional update in the same transaction, so an order's survey is queued at
/// most once whatever the number of instances and rounds.
/// </summary>
public sealed class SurveyJob(MySqlDataSource dataSource, SendOutbox outbox, FollowerChannel channel, IOptions<FeedbackOptions> options, TimeProvider time, ILogger<SurveyJob> logger)
    : PeriodicJob(time, logger)
{
    private const int Batch = 200;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.SurveyCheckSeconds);

    /// <returns>How many surveys this round queued or skipped.</returns>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        const string dueSql = """
            SELECT s.order_id AS OrderId, s.member_id AS MemberId, o.order_no AS OrderNo, o.app_id AS AppId, st.name AS StoreName
            FROM feedback_survey s
            JOIN shop_order o ON o.id = s.order_id
            LEFT JOIN store st ON st.id = s.store_id
            WHERE s.status = @scheduled AND s.due_at <= @now
            ORDER BY s.due_at LIMIT @Batch
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var due = (await c.QueryAsync<DueSurvey>(new CommandDefinition(dueSql, new { scheduled = SurveyStatus.Scheduled, now, Batch }, cancellationToken: ct))).AsList();
        var decided = 0;
        foreach (var survey in due)
        {
            var choice = await channel.ChooseAsync(c, survey.MemberId, survey.AppId, TemplateOf, now, ct);
            await using var t = await c.BeginTransactionAsync(ct);
            const string claim = """
                UPDATE feedback_survey SET status = @status, channel = @channel, app_id = @AppId, reason = @SkipReason, decided_at = @now
                WHERE order_id = @OrderId AND status = @scheduled
                """;
            var status = choice.Kind is null ? SurveyStatus.Skipped : SurveyStatus.Queued;
            if (await c.ExecuteAsync(new CommandDefinition(claim, new
            {
                status, channel = choice.Kind?.ToString().ToLowerInvariant(), choice.AppId, choice.SkipReason, now, survey.OrderId, scheduled = SurveyStatus.Scheduled,
            }, t, cancellationToken: ct)) == 0)
            {
                await t.RollbackAsync(ct);
                continue;
            }

            if (choice.Kind is { } kind)
            {
                var template = TemplateBody(survey, choice);
                var message = kind == SendKind.Custom
                    ? new OutboundMessage(choice.AppId!, choice.OpenId!, survey.MemberId, kind, CustomBody(survey, choice), SourceKey(survey.OrderId), template)
                    : new OutboundMessage(choice.AppId!, choice.OpenId!, survey.MemberId, kind, template!, SourceKey(survey.OrderId));
                var sendId = await outbox.AddAsync(c, t, message, ct);
                const string sent = "UPDATE feedback_survey SET send_id = @sendId WHERE order_id = @OrderId";
                await c.ExecuteAsync(new CommandDefinition(sent, new { sendId, survey.OrderId }, t, cancellationToken: ct));
            }

            await t.CommitAsync(ct);
            decided++;
        }

        if (decided > 0)
        {
            outbox.Committed();
            logger.LogInformation("Surveys: {Count} due surveys queued or skipped", decided);
        }

        return decided;
    }

    public static string SourceKey(ulong orderId) => $"feedback-survey:{orderId}";

    private string? TemplateOf(string appId) => options.Value.SurveyTemplates.GetValueOrDefault(appId);

    private string Text(DueSurvey survey) =>
        options.Value.SurveyText.Replace("{orderNo}", survey.OrderNo, StringComparison.Ordinal).Replace("{store}", survey.StoreName ?? "our store", StringComparison.Ordinal);

    private string PagePath(DueSurvey survey) => $"{options.Value.SurveyPage}?orderNo={Uri.EscapeDataString(survey.OrderNo)}";

    /// <summary>A customer-service text; with a mini-program configured, a link that opens the survey page (WeChat's data-miniprogram-* anchor).</summary>
    private string CustomBody(DueSurvey survey, ChannelChoice to)
    {
        var text = Text(survey);
        if (options.Value.MiniProgramAppId is { } mini)
        {
            text += $" <a href=\"https://mp.weixin.qq.com\" data-miniprogram-appid=\"{mini}\" data-miniprogram-path=\"{PagePath(survey)}\">Rate it</a>";
        }

        return JsonSerializer.Serialize(new { touser = to.OpenId, msgtype = "text", text = new { content = text } });
    }

    private string? TemplateBody(DueSurvey survey, ChannelChoice to)
    {
        if (TemplateOf(to.AppId!) is not { } templateId)
        {
            return null;
        }

        var data = new Dictionary<string, object>
        {
            ["first"] = new { value = Text(survey) },
            ["keyword1"] = new { value = survey.OrderNo },
            ["keyword2"] = new { value = survey.StoreName ?? "" },
        };
        return options.Value.MiniProgramAppId is { } mini
            ? JsonSerializer.Serialize(new { touser = to.OpenId, template_id = templateId, miniprogram = new { appid = mini, pagepath = PagePath(survey) }, data })
            : JsonSerializer.Serialize(new { touser = to.OpenId, template_id = templateId, data });
    }

    private sealed record DueSurvey(ulong OrderId, ulong MemberId, string OrderNo, string? AppId, string? StoreName);
}
