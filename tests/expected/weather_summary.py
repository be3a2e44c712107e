__workflow__ = {
    'WFQuickActionSurfaces': [],
    'WFWorkflowClientVersion': '''2302.0.4''',
    'WFWorkflowHasOutputFallback': False,
    'WFWorkflowHasShortcutInputVariables': False,
    'WFWorkflowIcon': plain({'WFWorkflowIconGlyphNumber': 59446, 'WFWorkflowIconStartColor': 4282601983}),
    'WFWorkflowImportQuestions': [],
    'WFWorkflowInputContentItemClasses': [],
    'WFWorkflowMinimumClientVersion': 900,
    'WFWorkflowMinimumClientVersionString': '''900''',
    'WFWorkflowOutputContentItemClasses': [],
    'WFWorkflowTypes': ['''NCWidget''', '''WatchKit''', '''Watch'''],
}
# Shows a one-line summary of the current weather.
Weather_Conditions = is_workflow_actions_weather_currentconditions()
Text = is_workflow_actions_gettext(WFTextActionText=f'''🌤 {Weather_Conditions.Condition}, {Weather_Conditions.Temperature}°
Feels like {Weather_Conditions.Feels_Like}° in {Weather_Conditions.Location.City}''')
is_workflow_actions_showresult(Text=f'''{Text}''')
