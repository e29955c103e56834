RB
@
srvè"/dev/ttyUSB02!{"version":{"major":4,"minor":0}}:a@2