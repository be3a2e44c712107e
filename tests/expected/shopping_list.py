__workflow__ = {
    'WFQuickActionSurfaces': [],
    'WFWorkflowClientVersion': '''2302.0.4''',
    'WFWorkflowHasOutputFallback': False,
    'WFWorkflowHasShortcutInputVariables': True,
    'WFWorkflowIcon': plain({'WFWorkflowIconGlyphNumber': 59693, 'WFWorkflowIconStartColor': 3980825855}),
    'WFWorkflowImportQuestions': [],
    'WFWorkflowInputContentItemClasses': ['''WFStringContentItem''', '''WFRichTextContentItem'''],
    'WFWorkflowMinimumClientVersion': 900,
    'WFWorkflowMinimumClientVersionString': '''900''',
    'WFWorkflowOutputContentItemClasses': [],
    'WFWorkflowTypes': ['''ActionExtension''', '''NCWidget''', '''WatchKit'''],
}
Shopping_List = variable('''Shopping List''')
# Builds a shopping list from the shared text.
# One item per line.
Split_Text = is_workflow_actions_text_split(WFTextSeparator='''New Lines''', text=coerce_variable(value=shortcut_input(), coercion_class='WFStringContentItem'))
Items = Split_Text
# Always buy milk 🥛
Text = is_workflow_actions_gettext(WFTextActionText='''Milk''')
Items.append(Text)
Count = is_workflow_actions_count(Input=Items, WFCountType='''Items''')
Text_2: '''Text''' = is_workflow_actions_gettext(WFTextActionText=f'''🛒 {Count} items:
{coerce_variable(value=Items, coercion_class='WFStringContentItem')}''')
Shopping_List = Text_2
is_workflow_actions_setclipboard(WFInput=Shopping_List)
is_workflow_actions_notification(WFNotificationActionBody=f'''{Shopping_List}''')
