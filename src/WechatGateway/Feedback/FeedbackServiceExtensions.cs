using WechatGateway.Operations;
using WechatGateway.Push;

namespace WechatGateway.Feedback;

public static class FeedbackServiceExtensions
{
    /// <summary>The after-purchase survey: scheduling at import, the survey job, the member's answers.</summary>
    public static IServiceCollection AddFeedback(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<FeedbackOptions>().BindConfiguration(FeedbackOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<FollowerChannel>();
        services.AddSingleton<FeedbackSurveys>();
        services.AddSingleton<FeedbackAnswers>();
        services.AddSingleton<SurveyJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<SurveyJob>());
        }

        return services;
    }
}
